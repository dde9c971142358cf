//! How a Sessions client sends its key: the server accepts three ways.

/// How a [`SessionsClient`](super::SessionsClient) sends its key: the server accepts all three.
///
/// ```
/// use sambanova_agents::sessions::{SessionsAuth, SessionsClient};
///
/// let client = SessionsClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("secret")
///     .auth(SessionsAuth::ApiKeyHeader)
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionsAuth {
    /// `Authorization: Bearer <key>` on every request.
    #[default]
    Bearer,
    /// `X-API-Key: <key>` on every request.
    ApiKeyHeader,
    /// `Authorization: Bearer <key>`, and on event streams also `?token=<key>`, for proxies
    /// in front of the server that only pass the query on (as browsers' `EventSource`
    /// needs). The key is then in the URL: it is never logged or put in errors by this SDK,
    /// but a proxy's access log may keep it.
    QueryToken,
}
