//! Signatures per second for each algorithm, through the same code path the
//! server uses (key ring -> compact JWS), on one core.
//! Run: cargo run --release --example sign_rate [SECONDS]

use std::time::{Duration, Instant};

use keyward::crypto::jwt::{self, LoadedKey};
use keyward::crypto::keys::{generate, Algorithm};
use serde_json::json;

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let claims = json!({
        "iss": "https://id.example.com", "sub": "4f9c2a9e-1b7d-4c61-9d7e-2b9a0d6f3e11",
        "aud": "app-1", "azp": "app-1", "iat": 1_795_341_845, "exp": 1_795_342_145,
        "auth_time": 1_795_341_840, "nonce": "n-0S6_WzA2Mj",
    });
    println!("{:<6} {:>12} {:>12}", "alg", "sign/s", "verify/s");
    for alg in Algorithm::ALL {
        let g = generate(alg, 2048).expect("generate");
        let key =
            std::sync::Arc::new(LoadedKey::from_pem(&g.kid, alg, &g.private_pem).expect("load"));
        let token = jwt::sign(&key, "JWT", &claims).expect("sign");
        let sign_rate = rate(secs, || {
            jwt::sign(&key, "JWT", &claims).expect("sign");
        });
        let verify_rate = rate(secs, || {
            jwt::verify(&token, |_| Some(key.clone())).expect("verify");
        });
        println!(
            "{:<6} {:>12.0} {:>12.0}",
            alg.as_str(),
            sign_rate,
            verify_rate
        );
    }
}

fn rate(secs: u64, mut op: impl FnMut()) -> f64 {
    let until = Duration::from_secs(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < until {
        for _ in 0..16 {
            op();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}
