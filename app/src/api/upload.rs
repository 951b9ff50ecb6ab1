//! Uploads that do not fit a server function: the browser sends a file's bytes straight to
//! the REST API (same origin, session cookies), renewing the session once if it lapsed.

use super::UiError;
use gloo_net::http::{Request, Response};
use protocol::{ApiError, ErrorBody, ErrorCode, User};

/// Sets the signed-in user's profile picture.
pub async fn put_avatar(file: &web_sys::File) -> Result<User, UiError> {
    let send = || async {
        Request::put("/api/v1/users/me/avatar")
            .header("content-type", "application/octet-stream")
            .body(file.clone())
            .map_err(|_| failed("The picture could not be read."))?
            .send()
            .await
            .map_err(|_| failed("Cannot reach the server. Check your connection."))
    };
    let mut response = send().await?;
    if response.status() == 401 {
        // The access token lives 15 minutes; the refresh cookie renews it.
        let _ = Request::post("/api/v1/auth/refresh").send().await;
        response = send().await?;
    }
    answer(response).await
}

async fn answer(response: Response) -> Result<User, UiError> {
    if response.ok() {
        return response
            .json::<User>()
            .await
            .map_err(|_| failed("Something went wrong. Try again."));
    }
    Err(match response.json::<ErrorBody>().await {
        Ok(body) => UiError(body.error),
        Err(_) => failed("Something went wrong. Try again."),
    })
}

fn failed(message: &str) -> UiError {
    UiError(ApiError::new(ErrorCode::Internal, message))
}
