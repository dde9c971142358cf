// The agent response classifier fuzz target's body, shared by
// `fuzz/fuzz_targets/agent_response.rs` (libFuzzer) and
// `crates/sambanova-agents/tests/fuzz_smoke.rs` (stable CI). Included with `include!`, so no
// inner attributes or doc comments here.
//
// Input layout: byte 0 picks `Expect` and whether there is a request id, bytes 1-2 the status
// (any u16), byte 3 the content type (byte 4 its length when it comes from the input); the
// rest is the body. Checked: no panic; every error carries the response's status and request
// id; the documented statuses map to their kinds; successes only come from 2xx; kept bodies
// are bounded; `Expect` only matters for `text/html` 2xx bodies; Display and Debug work.

use sambanova_agents::{Expect, classify};
use sambanova_agents::{AgentOutcome, Error};

const CONTENT_TYPES: [Option<&str>; 10] = [
    None,
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/html"),
    Some("TEXT/HTML; charset=utf-8"),
    Some("text/plain"),
    Some("application/problem+json"),
    Some(""),
    Some(" Application/JSON ;x=y"),
    None, // replaced by bytes of the input
];

pub struct Input<'a> {
    pub expect: Expect,
    pub status: u16,
    pub content_type: Option<String>,
    pub request_id: Option<&'a str>,
    pub body: &'a [u8],
}

pub fn layout(data: &[u8]) -> Input<'_> {
    let byte = |index: usize| data.get(index).copied().unwrap_or(0);
    let flags = byte(0);
    let expect = if flags & 1 == 0 {
        Expect::Json
    } else {
        Expect::JsonOrHtml
    };
    let request_id = (flags & 2 != 0).then_some("req-fuzz");
    let status = u16::from_le_bytes([byte(1), byte(2)]);
    let selector = usize::from(byte(3)) % CONTENT_TYPES.len();
    let mut rest = data.get(4..).unwrap_or(&[]);
    let content_type = if selector == CONTENT_TYPES.len() - 1 {
        let length = usize::from(byte(4)).min(rest.len().saturating_sub(1));
        let text = rest.get(1..1 + length).unwrap_or(&[]);
        rest = rest.get(1 + length..).unwrap_or(&[]);
        Some(String::from_utf8_lossy(text).into_owned())
    } else {
        CONTENT_TYPES[selector].map(str::to_owned)
    };
    Input {
        expect,
        status,
        content_type,
        request_id,
        body: rest,
    }
}

fn media_is_html(content_type: Option<&str>) -> bool {
    content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("text/html")
}

pub fn run(data: &[u8]) {
    let input = layout(data);
    let content_type = input.content_type.as_deref();
    let outcome = classify(
        input.expect,
        input.status,
        content_type,
        input.request_id,
        input.body,
    );
    // What the classifier treats the status as (out-of-range numbers are a 500).
    let status =
        http::StatusCode::from_u16(input.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let _ = format!("{outcome:?}");
    match &outcome {
        Ok(done) => {
            assert!(status.is_success(), "a success from {status}");
            match done {
                AgentOutcome::Interrupted(plan) => {
                    assert!(!plan.thread_id().is_empty(), "a plan without a thread");
                }
                AgentOutcome::Html(report) => {
                    assert_eq!(input.expect, Expect::JsonOrHtml, "HTML where JSON was due");
                    assert!(media_is_html(content_type));
                    assert_eq!(report.request_id.as_deref(), input.request_id);
                }
                AgentOutcome::Completed(completion) => {
                    assert_eq!(completion.request_id.as_deref(), input.request_id);
                }
                _ => {}
            }
        }
        Err(error) => {
            let _ = error.to_string();
            assert_eq!(error.status(), Some(status), "{error:?}");
            assert_eq!(error.request_id(), input.request_id, "{error:?}");
            let kind_ok = match status.as_u16() {
                400 => matches!(error, Error::BadRequest { .. }),
                401 | 403 => matches!(error, Error::Authentication { .. }),
                404 => matches!(error, Error::NotFound { .. }),
                409 => matches!(error, Error::Conflict { .. }),
                413 => matches!(error, Error::RequestTooLarge { .. }),
                422 => matches!(error, Error::Validation { .. }),
                429 => matches!(error, Error::RateLimited { .. }),
                500..=599 => matches!(error, Error::Server(_)),
                _ => true,
            };
            assert!(kind_ok, "{status} gave {error:?}");
            match error {
                Error::UnexpectedResponse { body, .. } => {
                    assert!(body.len() <= Error::KEPT_BODY_BYTES + '…'.len_utf8());
                }
                Error::Server(server) => {
                    assert_eq!(server.content_type.as_deref(), content_type);
                }
                Error::Authentication { .. }
                | Error::BadRequest { .. }
                | Error::NotFound { .. }
                | Error::Conflict { .. }
                | Error::RequestTooLarge { .. }
                | Error::Validation { .. }
                | Error::RateLimited { .. } => {}
                other => panic!("a kind the classifier cannot produce: {other:?}"),
            }
        }
    }
    // `Expect` only decides what a 2xx `text/html` body is.
    if !(status.is_success() && media_is_html(content_type)) {
        let other = match input.expect {
            Expect::Json => Expect::JsonOrHtml,
            Expect::JsonOrHtml => Expect::Json,
        };
        let again = classify(
            other,
            input.status,
            content_type,
            input.request_id,
            input.body,
        );
        assert_eq!(format!("{outcome:?}"), format!("{again:?}"));
    }
}
