//! The REST API under `/api/v1`.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};

use crate::l1::L1Client;

/// What the API handlers share.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The L1 node the explorer reads.
    pub l1: L1Client,
}

/// The API's routes, to be nested under `/api/v1`.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/status", get(status))
        .fallback(not_found)
        .with_state(state)
}

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The L1 chain as read just now.
    pub l1: L1View,
}

/// The L1 part of the status; `chain_id` and `head` are absent while L1 cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1View {
    /// Whether the L1 endpoint answered.
    pub reachable: bool,
    /// EIP-155 chain id.
    pub chain_id: Option<u64>,
    /// Latest L1 block number.
    pub head: Option<u64>,
    /// Why L1 could not be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

async fn status(State(state): State<ApiState>) -> Json<StatusResponse> {
    let l1 = match state.l1.status().await {
        Ok(s) => L1View {
            reachable: true,
            chain_id: Some(s.chain_id),
            head: Some(s.head),
            error: None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "status: L1 unreachable");
            L1View {
                reachable: false,
                chain_id: None,
                head: None,
                error: Some(e.to_string()),
            }
        }
    };
    Json(StatusResponse { l1 })
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".to_owned())
}

/// Every error the API returns, rendered as `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Something failed inside the server; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

/// The JSON body of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine-readable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code, such as `not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal API error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
