//! Static assets, compiled into the binary and served locally (no CDN).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "keyward.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/keyward.css"),
    },
    Asset {
        name: "keyward.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/keyward.js"),
    },
];

pub async fn serve(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("no such asset"),
    }
}
