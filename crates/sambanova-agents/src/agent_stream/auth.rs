//! Logging in and keeping the access token fresh: a JSON login (the guide's form where the
//! server answers 404 to it), a refresh with the login's cookie that works once, and a new
//! login after that (`docs/agent-stream-server.md`).

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Request, StatusCode};
use sambanova_agents_raw::agent_stream::{self as raw, types as wire};
use serde::Deserialize;

use super::builder::{AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_USERNAME_ENV, no_credentials};
use super::client::{AgentStreamClient, Session};
use super::token::AccessToken;
use crate::call::built;
use crate::dialect::{Dialect, unexpected};
use crate::retry::RetryPolicy;
use crate::transport::{CallSettings, Exchange, ResponseMeta, sensitive};
use crate::{AuthFailure, Error};

/// Auth bodies (a token and a user) are small; anything bigger is not one.
const AUTH_BODY_LIMIT: usize = 1024 * 1024;

/// The spec's login and refresh operations: the running server's first (`login`, a JSON
/// login, and `refresh_token`), then the guide's (`login_guide`, a form login, and
/// `refresh_token_guide`), which the running server does not serve; tried when the first
/// answers 404 without a message of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthPaths {
    Server,
    Guide,
}

const AUTH_PATHS: [AuthPaths; 2] = [AuthPaths::Server, AuthPaths::Guide];

impl AgentStreamClient {
    /// Logs in with the configured username and password now, and keeps the token (and the
    /// refresh cookie). [`Self::stream`] does this by itself when needed.
    ///
    /// The login is a JSON POST to `/api/v1/auth/login`; only if that path answers 404 without
    /// a message of its own is the guide's form login at `/api/v1/admin/auth/login` tried.
    ///
    /// Fails with [`Error::Authentication`] on a wrong password (the server's 403) or an
    /// unknown user (its 404), [`Error::RateLimited`] when the server limits logins (more than
    /// 5 a minute, with its `retry-after`), [`Error::Validation`] when it asks for fields the
    /// request lacks (a captcha), [`Error::Config`] without credentials.
    pub async fn login(&self) -> Result<AccessToken, Error> {
        let _turn = self.inner.renewing.lock().await;
        self.login_now().await
    }

    pub(super) fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        // The session holds plain values: a panic elsewhere cannot leave it half-written.
        self.inner
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The token, if it does not expire within the refresh margin.
    fn fresh_token(&self) -> Option<AccessToken> {
        let margin = self.inner.settings.refresh_margin;
        self.session()
            .token
            .clone()
            .filter(|token| !token.expires_within(margin, SystemTime::now()))
    }

    /// The token to send: the current one while fresh, else a renewed one.
    pub(super) async fn usable_token(&self) -> Result<Option<AccessToken>, Error> {
        if let Some(token) = self.fresh_token() {
            return Ok(Some(token));
        }
        let _turn = self.inner.renewing.lock().await;
        // Another task may have renewed it while this one waited.
        if let Some(token) = self.fresh_token() {
            return Ok(Some(token));
        }
        let current = self.session().token.clone();
        match self.renew().await {
            Ok(Some(token)) => return Ok(Some(token)),
            Ok(None) => {}
            // Renewing ahead of time failed; a token that has not expired yet still serves.
            Err(error) => match current {
                Some(token) if !token.expires_within(Duration::ZERO, SystemTime::now()) => {
                    tracing::debug!(%error, "early token renewal failed; using the current one");
                    return Ok(Some(token));
                }
                _ => return Err(error),
            },
        }
        // Nothing to renew with: a token about to expire may still be accepted, one past its
        // expiry would only be refused.
        match current {
            Some(token) if token.expires_within(Duration::ZERO, SystemTime::now()) => {
                return Err(login_needed(None));
            }
            Some(token) => return Ok(Some(token)),
            None => {}
        }
        Err(no_credentials())
    }

    /// After the server refused `refused`: a new token, or `None` if there is no way to get
    /// one.
    pub(super) async fn renew_after_refusal(
        &self,
        refused: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>, Error> {
        let _turn = self.inner.renewing.lock().await;
        let current = self.session().token.clone();
        if current.is_some() && current.as_ref() != refused {
            return Ok(current);
        }
        self.renew().await
    }

    /// Refreshes with the login's cookie (once: the server spends it), else logs in again;
    /// `None` if neither is possible (the caller has the server's refusal to report). The
    /// caller holds `renewing`.
    async fn renew(&self) -> Result<Option<AccessToken>, Error> {
        // Taken, not copied: whatever the answer, a refresh token that reached the server is
        // spent, and sending it again would only be refused.
        let cookies = self.session().cookies.take();
        if let Some(cookies) = cookies {
            match self.refresh_now(&cookies).await {
                Ok(token) => return Ok(Some(token)),
                // A refresh token expires too; the password does not.
                Err(error) if self.inner.password.is_some() => {
                    tracing::debug!(%error, "token refresh failed; logging in again");
                }
                Err(error) => return Err(login_needed(Some(&error))),
            }
        }
        if self.inner.password.is_some() {
            return self.login_now().await.map(Some);
        }
        Ok(None)
    }

    async fn login_now(&self) -> Result<AccessToken, Error> {
        let (Some(username), Some(password)) = (&self.inner.username, &self.inner.password) else {
            return Err(Error::config(format!(
                "no username and password to log in with: set {AGENT_STREAM_USERNAME_ENV} and \
                 {AGENT_STREAM_PASSWORD_ENV}, or pass them to the builder"
            )));
        };
        let captcha = self.inner.captcha.as_ref();
        let uuid = captcha.map(|captcha| captcha.uuid.clone());
        let answer = captcha.map(|captcha| captcha.answer.0.clone());
        self.auth_exchange(AuthOperation::Login, |client, paths| {
            built(match paths {
                AuthPaths::Server => client.login_request(&wire::LoginRequest {
                    username: username.clone(),
                    password: password.0.clone(),
                    uuid: uuid.clone(),
                    captcha: answer.clone(),
                }),
                AuthPaths::Guide => client.login_guide_request(&wire::LoginForm {
                    username: username.clone(),
                    password: password.0.clone(),
                    uuid: uuid.clone(),
                    captcha: answer.clone(),
                }),
            })
        })
        .await
    }

    async fn refresh_now(&self, cookies: &HeaderValue) -> Result<AccessToken, Error> {
        let cookie = cookies
            .to_str()
            .map_err(|_| Error::invalid_input("the refresh cookie is not text"))?;
        self.auth_exchange(AuthOperation::Refresh, |client, paths| {
            let mut request = built(match paths {
                AuthPaths::Server => client.refresh_token_request(Some(cookie)),
                AuthPaths::Guide => client.refresh_token_guide_request(Some(cookie)),
            })?;
            // The generated builder copies the value into a plain header: the refresh token
            // must never print.
            if let Some(value) = request.headers_mut().get_mut(header::COOKIE) {
                value.set_sensitive(true);
            }
            Ok(request)
        })
        .await
    }

    /// One login or refresh: tries the known auth paths from the one that worked last, keeps
    /// the token, and keeps the cookies a login sets (a refresh sets none: the old ones are
    /// spent).
    async fn auth_exchange(
        &self,
        operation: AuthOperation,
        build: impl Fn(&raw::Client, AuthPaths) -> Result<Request, Error>,
    ) -> Result<AccessToken, Error> {
        let call = CallSettings::new(
            self.inner.settings.timeout,
            RetryPolicy::none(),
            Some(AUTH_BODY_LIMIT),
        );
        let mut index = self.inner.auth_paths.load(Ordering::Relaxed) % AUTH_PATHS.len();
        let mut tried = 0;
        loop {
            tried += 1;
            let paths = AUTH_PATHS[index];
            let operation_name = operation.name();
            let Exchange { meta, body } = self
                .inner
                .transport
                .exchange(operation_name, || build(&self.inner.raw, paths), &call)
                .await?;
            let cookies = set_cookies(meta.headers());
            let path_is_missing = meta.status == StatusCode::NOT_FOUND
                && says_not_found(Dialect::AgentStream.read(&meta, &body).message.as_deref());
            if path_is_missing && tried < AUTH_PATHS.len() {
                index = (index + 1) % AUTH_PATHS.len();
                continue;
            }
            if !meta.status.is_success() {
                let error = Dialect::AgentStream.status_error(&meta, &body);
                return Err(match (operation, error) {
                    // The login's own refusal of an unknown user: a 404 that says so, unlike a
                    // missing path's "Not Found".
                    (
                        AuthOperation::Login,
                        Error::NotFound {
                            message,
                            request_id,
                            attempts,
                        },
                    ) if !path_is_missing => Error::Authentication {
                        status: meta.status,
                        failure: AuthFailure::Rejected,
                        message,
                        request_id,
                        attempts,
                    },
                    // A login's 403 is a wrong password, not a lack of access.
                    (
                        AuthOperation::Login,
                        Error::Authentication {
                            status,
                            message,
                            request_id,
                            attempts,
                            ..
                        },
                    ) => Error::Authentication {
                        status,
                        failure: AuthFailure::Rejected,
                        message,
                        request_id,
                        attempts,
                    },
                    (_, error) => error,
                });
            }
            self.inner.auth_paths.store(index, Ordering::Relaxed);
            let token = token_of(&meta, &body)?;
            self.inner.transport.secrets.add(token.expose_secret());
            tracing::debug!(
                operation = operation.id(paths),
                expires_at = ?token.expires_at(),
                "new access token"
            );
            let mut session = self.session();
            session.token = Some(token.clone());
            // A deployment that does hand out a new refresh cookie on refresh may use it again.
            if operation == AuthOperation::Login || cookies.is_some() {
                session.cookies = cookies;
            }
            return Ok(token);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthOperation {
    Login,
    Refresh,
}

impl AuthOperation {
    fn name(self) -> &'static str {
        self.id(AuthPaths::Server)
    }

    /// The spec's operation id at `paths`.
    fn id(self, paths: AuthPaths) -> &'static str {
        match (self, paths) {
            (AuthOperation::Login, AuthPaths::Server) => "login",
            (AuthOperation::Login, AuthPaths::Guide) => "login_guide",
            (AuthOperation::Refresh, AuthPaths::Server) => "refresh_token",
            (AuthOperation::Refresh, AuthPaths::Guide) => "refresh_token_guide",
        }
    }
}

/// Whether a 404 is about the path (FastAPI's "Not Found", or nothing said) rather than the
/// user.
fn says_not_found(message: Option<&str>) -> bool {
    message.is_none_or(|msg| msg.trim().is_empty() || msg.eq_ignore_ascii_case("not found"))
}

/// The token can no longer be renewed: a refresh works once, and there is no password to log
/// in again with.
fn login_needed(refresh_failure: Option<&Error>) -> Error {
    let why = match refresh_failure {
        Some(error) => format!("the refresh was refused ({error})"),
        None => "it has expired, and its refresh token is spent or was never given".to_owned(),
    };
    Error::Authentication {
        status: StatusCode::UNAUTHORIZED,
        failure: AuthFailure::TokenExpired,
        message: format!(
            "the access token cannot be renewed: {why}; log in again with a username and \
             password"
        ),
        request_id: refresh_failure.and_then(|error| error.request_id().map(str::to_owned)),
        attempts: 1,
    }
}

/// The `name=value` pairs of the response's `Set-Cookie`s, as one sensitive `Cookie` value.
fn set_cookies(headers: &HeaderMap) -> Option<HeaderValue> {
    let pairs: Vec<&str> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .map(str::trim)
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, _)| !name.is_empty())
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    sensitive(&pairs.join("; ")).ok()
}

/// The token in a login or refresh answer: `{"data": {"access_token", …}}` per the backend,
/// or `{"access_token", …}` as FastAPI's OAuth2 examples answer.
fn token_of(meta: &ResponseMeta, body: &[u8]) -> Result<AccessToken, Error> {
    #[derive(Deserialize, Default)]
    struct Fields {
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        access_token_expire_time: Option<String>,
        #[serde(default)]
        expires_in: Option<f64>,
    }
    #[derive(Deserialize)]
    struct Reply {
        #[serde(default)]
        data: Option<Fields>,
        #[serde(flatten)]
        top: Fields,
    }
    let reply: Reply = serde_json::from_slice(body).map_err(|error| {
        unexpected(
            meta,
            body,
            &format!("the token answer does not parse: {error}"),
        )
    })?;
    let fields = match reply.data {
        Some(data) if data.access_token.is_some() => data,
        _ => reply.top,
    };
    let Some(token) = fields.access_token else {
        return Err(unexpected(meta, body, "the answer has no access_token"));
    };
    AccessToken::new(token)
        .map(|token| {
            token.with_fallback_expiry(
                fields.access_token_expire_time.as_deref(),
                fields.expires_in,
                SystemTime::now(),
            )
        })
        .map_err(|_| unexpected(meta, b"", "the access_token is not usable in a header"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta::detached(
            StatusCode::from_u16(status).unwrap(),
            Some("application/json"),
            Some("rid"),
        )
    }

    fn status_error(meta: &ResponseMeta, body: &[u8]) -> Error {
        Dialect::AgentStream.status_error(meta, body)
    }

    #[test]
    fn error_bodies_of_both_shapes_are_understood() {
        let refused = status_error(
            &meta(401),
            br#"{"code":401,"msg":"Incorrect username or password","data":null}"#,
        );
        assert!(
            matches!(refused, Error::Authentication { ref message, .. } if message == "Incorrect username or password")
        );
        let invalid = status_error(
            &meta(422),
            br#"{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required"}]}"#,
        );
        assert!(
            matches!(invalid, Error::Validation { ref detail, .. } if detail[0].location() == "body.messages")
        );
        let proxy = status_error(&meta(502), b"<html>bad gateway</html>");
        assert!(matches!(proxy, Error::Server(ref e) if e.request_id.as_deref() == Some("rid")));
        let odd = status_error(&meta(418), b"");
        assert!(matches!(odd, Error::UnexpectedResponse { .. }));
    }

    #[test]
    fn tokens_in_either_answer_shape() {
        let nested = token_of(
            &meta(200),
            br#"{"code":200,"data":{"access_token":"abc","access_token_expire_time":"2030-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(nested.expose_secret(), "abc");
        assert!(nested.expires_at().is_some());
        let flat = token_of(
            &meta(200),
            br#"{"access_token":"xyz","token_type":"bearer","expires_in":1800}"#,
        )
        .unwrap();
        assert_eq!(flat.expose_secret(), "xyz");
        assert!(flat.expires_at().is_some());
        assert!(matches!(
            token_of(&meta(200), br#"{"data":null}"#),
            Err(Error::UnexpectedResponse { .. })
        ));
        assert!(matches!(
            token_of(&meta(200), b"not json"),
            Err(Error::UnexpectedResponse { .. })
        ));
    }
}
