//! A relying-party library we did not write (the `openidconnect` crate) runs
//! discovery, the code flow with PKCE for a public and a confidential client,
//! ID token verification against the JWKS (RS256 and ES256), refresh and
//! userinfo against the running server.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::helpers::*;

fn rp_http() -> reqwest::Client {
    // Relying parties must not follow redirects from the provider.
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn code_flow(app: &TestApp, public: bool, alg: CoreJwsSigningAlgorithm) {
    let http = rp_http();
    let provider =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery is accepted");
    let registered = app.register(TestClient::of(public).consent("skip"));
    let client = CoreClient::from_provider_metadata(
        provider,
        ClientId::new(registered.id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let q = run_flow(app, &browser(), url.as_str(), true).await;
    assert_eq!(&q["state"], csrf.secret());
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange is accepted");
    let verifier = client.id_token_verifier().set_allowed_algs([alg]);
    let id_token = token.id_token().expect("an ID token");
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the ID token verifies against the JWKS");
    assert_eq!(
        claims.preferred_username().unwrap().as_str(),
        crate::helpers::ADMIN
    );
    // at_hash checks out the way the library computes it.
    let expected = openidconnect::AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));

    let info: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo is accepted");
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().unwrap().as_str(), "admin@acme.example");

    let refreshed = client
        .exchange_refresh_token(token.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("the refresh is accepted");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        token.refresh_token().unwrap().secret()
    );
    let again = refreshed
        .id_token()
        .unwrap()
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(again.subject(), claims.subject());
}

#[tokio::test]
async fn openidconnect_confidential_client_rs256() {
    let app = TestApp::set_up().await;
    code_flow(&app, false, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
}

#[tokio::test]
async fn openidconnect_public_client_es256() {
    let app = TestApp::set_up().await;
    // Make ES256 the signing key: add it, retire RS256, wait for the ring.
    let mut conn = app.db.conn();
    keyward::keys::lifecycle::rotate(
        &mut conn,
        None,
        keyward::crypto::keys::Algorithm::ES256,
        0,
        &"test".into(),
    )
    .unwrap();
    let rs = keyward::store::keys::list(&mut conn)
        .unwrap()
        .into_iter()
        .find(|k| k.alg == "RS256")
        .unwrap();
    keyward::keys::lifecycle::retire(&mut conn, &rs.kid, &"test".into()).unwrap();
    app.republish().await;
    let switched = crate::helpers::eventually(10, || async {
        let doc: serde_json::Value = app
            .get("/.well-known/openid-configuration")
            .await
            .json()
            .await
            .unwrap();
        doc["id_token_signing_alg_values_supported"] == serde_json::json!(["ES256"])
    })
    .await;
    assert!(switched);
    code_flow(&app, true, CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}
