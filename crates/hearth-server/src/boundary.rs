//! Checks at the edge of the HTTP API that no handler should have to repeat: a NUL character
//! (U+0000) in the path or query is refused with one clear 400 before routing (PostgreSQL
//! cannot store it and no name, handle or id contains it). Bodies are checked in
//! [`crate::extract::ApiJson`], socket frames in the realtime protocol.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Whether percent-encoded text holds an encoded NUL (`%00`).
fn encodes_nul(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Middleware: 400 `invalid_text` for a NUL in the path or query.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if encodes_nul(uri.path()) || uri.query().is_some_and(encodes_nul) {
        return ApiError::InvalidText.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::encodes_nul;

    #[test]
    fn finds_an_encoded_nul_only() {
        assert!(encodes_nul("/api/members/bo%00b"));
        assert!(encodes_nul("q=a%00"));
        assert!(!encodes_nul("/api/members/bob"));
        assert!(!encodes_nul("q=100%25"));
        assert!(!encodes_nul("q=%2000"));
    }
}
