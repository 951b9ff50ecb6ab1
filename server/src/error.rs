//! `AppError`: the one error type at the HTTP edge. Internal detail is logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::{ApiError, ErrorBody, ErrorCode, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{message}")]
    Denied {
        message: &'static str,
        field: Option<&'static str>,
    },
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        message: &'static str,
        field: Option<&'static str>,
    },
    /// 413: the body (or the picture in it) is too large.
    #[error("{0}")]
    TooLarge(&'static str),
    /// 415: not a kind of content this route takes.
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// Overloaded (the password-check queue is full): 503 with `Retry-After`.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    /// The request ran past `--request-timeout-secs`.
    #[error("request timed out")]
    TimedOut,
    #[error("database: {0}")]
    Db(#[from] crate::db::DbError),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn to_api_error(&self) -> ApiError {
        match self {
            AppError::BadRequest(m) => ApiError::new(ErrorCode::BadRequest, m.clone()),
            AppError::Validation(fields) => ApiError::validation(fields.clone()),
            AppError::Unauthorized(m) => ApiError::new(ErrorCode::Unauthorized, *m),
            AppError::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, *m),
            AppError::NotFound(m) => ApiError::new(ErrorCode::NotFound, *m),
            AppError::TooLarge(m) => ApiError::new(ErrorCode::TooLarge, *m),
            AppError::Unsupported(m) => ApiError::new(ErrorCode::UnsupportedType, *m),
            AppError::Denied { message, field } => {
                let mut e = ApiError::new(ErrorCode::Forbidden, *message);
                if let Some(field) = field {
                    e.fields.insert((*field).into(), (*message).into());
                }
                e
            }
            AppError::Conflict { message, field } => {
                let mut e = ApiError::new(ErrorCode::Conflict, *message);
                if let Some(field) = field {
                    e.fields.insert((*field).into(), (*message).into());
                }
                e
            }
            AppError::RateLimited { retry_after_secs } => ApiError::new(
                ErrorCode::RateLimited,
                format!("Too many attempts. Try again in {retry_after_secs} seconds."),
            ),
            AppError::Busy { retry_after_secs } => ApiError::new(
                ErrorCode::Unavailable,
                format!("The server is busy. Try again in {retry_after_secs} seconds."),
            ),
            AppError::TimedOut => ApiError::new(
                ErrorCode::Unavailable,
                "The server took too long to answer. Try again.",
            ),
            AppError::Db(crate::db::DbError::Unavailable(_)) => ApiError::new(
                ErrorCode::Unavailable,
                "The service is temporarily unavailable. Try again shortly.",
            ),
            AppError::Db(_) | AppError::Internal(_) => {
                ApiError::new(ErrorCode::Internal, "Something went wrong on our side.")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = self.to_api_error();
        let status = StatusCode::from_u16(body.code.status())
            .expect("every ErrorCode maps to a valid HTTP status");
        if status.is_server_error() && !matches!(self, AppError::Busy { .. } | AppError::TimedOut) {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, axum::Json(ErrorBody { error: body })).into_response();
        if let AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } =
            self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

impl From<crate::auth::hash_pool::PoolError> for AppError {
    fn from(err: crate::auth::hash_pool::PoolError) -> Self {
        match err {
            crate::auth::hash_pool::PoolError::Busy => AppError::Busy {
                retry_after_secs: 1,
            },
            crate::auth::hash_pool::PoolError::Failed => AppError::Internal(err.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
