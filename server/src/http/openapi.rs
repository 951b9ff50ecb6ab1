//! The OpenAPI 3 document of `/api/v1`, served at `/api/v1/openapi.json`. Bodies come from the
//! `protocol` types themselves (`utoipa::ToSchema`) and each operation is declared on its
//! handler, so the document follows the code. Schemathesis checks the running server against
//! it in the test command (`scripts/api-fuzz.sh`).

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Video Meet API",
        description = "Accounts, meetings and the join step. Errors are always \
            `{\"error\": {\"code\", \"message\", \"fields\"?}}`; 429 and 503 carry `Retry-After`.",
    ),
    servers((url = "/api/v1")),
    paths(
        super::auth::register,
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::users::me,
        super::users::update_me,
        super::avatars::upload,
        super::avatars::remove,
        super::avatars::show,
        super::meetings::list,
        super::meetings::create,
        super::meetings::info,
        super::meetings::update,
        super::meetings::delete,
        super::join::join,
        super::chat_log::chat_log,
        super::attendance::attendance,
        super::invite::invite,
        super::invitations::list,
        super::invitations::invite,
    ),
    modifiers(&Sessions),
    tags(
        (name = "auth", description = "Accounts and sessions (cookies `vm_access`, `vm_refresh`)"),
        (name = "meetings", description = "Meetings and the join step"),
    )
)]
pub struct ApiDoc;

/// The two ways to be signed in: the access cookie, or the same token as a bearer token.
struct Sessions;

impl Modify for Sessions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("vm_access"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_error_shape() {
        let doc = ApiDoc::openapi();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for path in [
            "/auth/register",
            "/auth/login",
            "/auth/refresh",
            "/auth/logout",
            "/users/me",
            "/meetings",
            "/meetings/{code}",
            "/meetings/{code}/join",
        ] {
            assert!(
                paths.iter().any(|p| *p == path),
                "{path} missing: {paths:?}"
            );
        }
        let json = serde_json::to_string(&doc).unwrap();
        assert!(json.contains("\"ErrorBody\"") && json.contains("\"JoinTicket\""));
    }
}
