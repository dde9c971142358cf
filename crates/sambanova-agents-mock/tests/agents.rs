//! Agents API behaviour against `MockServer::start()`.

use reqwest::{Client, StatusCode};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};
use serde_json::{Value, json};

async fn post(mock: &MockServer, path: &str, body: Value) -> (StatusCode, Value) {
    let res = Client::new()
        .post(format!("{}{path}", mock.agents_url()))
        .bearer_auth(TEST_API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

fn is_uuid4(s: &str) -> bool {
    uuid::Uuid::parse_str(s)
        .map(|u| u.get_version_num() == 4)
        .unwrap_or(false)
        && s.len() == 36
}

#[tokio::test]
async fn mainagent_completes_with_artifacts_and_both_prefixes() {
    let mock = MockServer::start().await.unwrap();
    let (s, b) = post(
        &mock,
        "/agent/mainagent",
        json!({"prompt": "hello", "resume": true}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "completed");
    assert!(b["result"].as_str().unwrap().contains("hello"));
    assert_eq!(b["artifacts"], json!([]));
    assert!(is_uuid4(b["thread_id"].as_str().unwrap()));
    let res = Client::new()
        .post(format!("{}/agent/mainagent", mock.url()))
        .bearer_auth(TEST_API_KEY)
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn validation_comes_before_auth() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let url = format!("{}/agent/mainagent", mock.agents_url());
    let res = c.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["detail"][0]["type"], "missing");
    assert_eq!(b["detail"][0]["loc"], json!(["body", "prompt"]));
    assert_eq!(b["detail"][0]["input"], json!({}));

    let res = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{bad")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["detail"][0]["type"], "json_invalid");

    let res = c
        .post(&url)
        .json(&json!({"prompt": 123}))
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["detail"][0]["type"], "string_type");

    let res = c.post(&url).form(&[("prompt", "x")]).send().await.unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["detail"][0]["type"], "model_attributes_type");

    // Lax bool: "true" is accepted, so this reaches auth.
    let res = c
        .post(format!("{}/agent/mainagent/interactive", mock.agents_url()))
        .json(&json!({"prompt": "x", "resume": "true"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn auth_variants() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let url = format!("{}/agent/mainagent", mock.agents_url());
    for (auth, msg) in [
        (None, "Authorization header with Bearer token is required"),
        (
            Some(format!("bearer {TEST_API_KEY}")),
            "Authorization header with Bearer token is required",
        ),
        (Some("Bearer not-a-uuid".to_owned()), "Invalid API key"),
        // HTTP parsers strip trailing whitespace from header values, so "Bearer " arrives as "Bearer".
        (
            Some("Bearer ".to_owned()),
            "Authorization header with Bearer token is required",
        ),
        (Some(format!("Bearer {TEST_API_KEY}x")), "Invalid API key"),
    ] {
        let mut req = c.post(&url).json(&json!({"prompt": "x"}));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("www-authenticate").is_none());
        let b: Value = res.json().await.unwrap();
        assert_eq!(b, json!({"error": msg}));
    }
    let upper = TEST_API_KEY.to_uppercase();
    let res = c
        .post(&url)
        .bearer_auth(upper)
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn resume_edge_cases() {
    let mock = MockServer::start().await.unwrap();
    for op in ["mainagent", "financialanalysis"] {
        let (s, b) = post(
            &mock,
            &format!("/agent/{op}/interactive"),
            json!({"prompt": "x", "resume": true}),
        )
        .await;
        assert_eq!(s, 400, "{op}");
        assert_eq!(
            b,
            json!({"error": "thread_id is required when resume=true"})
        );
    }
    let (s, _) = post(
        &mock,
        "/agent/coding/interactive",
        json!({"prompt": "x", "code": "print(1)", "resume": true}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, b) = post(
        &mock,
        "/agent/deepresearch/interactive",
        json!({"prompt": "x", "resume": true}),
    )
    .await;
    assert_eq!(s, 500);
    assert_eq!(
        b,
        json!({"thread_id": null, "status": "error", "error": "An internal error occurred"})
    );
    let (s, b) = post(
        &mock,
        "/agent/mainagent/interactive",
        json!({"prompt": "x", "resume": true, "thread_id": "nope"}),
    )
    .await;
    assert_eq!(s, 500);
    assert_eq!(b["thread_id"], "nope");
    // resume=false ignores the given thread id.
    let (_, b) = post(
        &mock,
        "/agent/mainagent/interactive",
        json!({"prompt": "x", "thread_id": "mine"}),
    )
    .await;
    assert_ne!(b["thread_id"], "mine");
    // A finished thread returns its previous result on resume.
    let first = b;
    let (s, again) = post(
        &mock,
        "/agent/mainagent/interactive",
        json!({"prompt": "something else", "resume": true, "thread_id": first["thread_id"]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(again["result"], first["result"]);
}

#[tokio::test]
async fn deep_research_plan_feedback_and_approve() {
    let mock = MockServer::start().await.unwrap();
    let (s, b) = post(
        &mock,
        "/agent/deepresearch/interactive",
        json!({"prompt": "quantum batteries"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "interrupted");
    let plan = b["result"].as_str().unwrap();
    assert!(plan.starts_with("Please <b>provide feedback</b> on the following plan or <b>type 'approve'.</b>\n<b>Section 1:</b> Introduction - "));
    let tid = b["thread_id"].clone();
    let (_, b) = post(
        &mock,
        "/agent/deepresearch/interactive",
        json!({"prompt": " approve", "resume": true, "thread_id": tid}),
    )
    .await;
    assert_eq!(b["status"], "interrupted");
    assert!(b["result"].as_str().unwrap().contains(" approve"));
    let (_, b) = post(
        &mock,
        "/agent/deepresearch/interactive",
        json!({"prompt": "APPROVE", "resume": true, "thread_id": tid}),
    )
    .await;
    assert_eq!(b["status"], "completed");
    assert!(b.get("artifacts").is_none());
    let report = b["result"].clone();
    assert!(report.as_str().unwrap().starts_with("# quantum batteries"));
    let (_, b) = post(
        &mock,
        "/agent/deepresearch/interactive",
        json!({"prompt": "more", "resume": true, "thread_id": tid}),
    )
    .await;
    assert_eq!(b["result"], report);
    let (s, b) = post(&mock, "/agent/deepresearch", json!({"prompt": "topic"})).await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "completed");
    assert!(b.get("artifacts").is_none());
}

#[tokio::test]
async fn financial_is_json_in_a_string_without_artifacts() {
    let mock = MockServer::start().await.unwrap();
    let (s, b) = post(
        &mock,
        "/agent/financialanalysis",
        json!({"prompt": "Analyse NVDA"}),
    )
    .await;
    assert_eq!(s, 200);
    assert!(b.get("artifacts").is_none());
    let doc: Value = serde_json::from_str(b["result"].as_str().unwrap()).unwrap();
    for k in [
        "ticker",
        "company_name",
        "competitor",
        "fundamental",
        "risk",
        "stock_price_data",
        "news",
        "comprehensive_summary",
    ] {
        assert!(doc.get(k).is_some(), "{k}");
    }
    assert_eq!(doc["ticker"], "NVDA");
    assert!(b["result"].as_str().unwrap().contains("\n  \"ticker\""));
}

#[tokio::test]
async fn coding_artifacts_download_with_key_scoping() {
    let mock = MockServer::start().await.unwrap();
    let (s, b) = post(
        &mock,
        "/agent/coding",
        json!({"prompt": "plot", "code": "print('hi')\nplt.savefig(\"my chart é.png\")"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "completed");
    let result = b["result"].as_str().unwrap();
    assert!(result.starts_with(
        "Code patched successfully\n\nCode executed successfully, result from the sandbox:\n\n hi"
    ));
    let id = b["artifacts"][0].as_str().unwrap().to_owned();
    assert!(result.contains(&format!("(attachment:{id})")));
    let c = Client::new();
    let url = format!("{}/agent/files/{id}", mock.agents_url());
    let res = c.get(&url).bearer_auth(TEST_API_KEY).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"my%20chart%20%C3%A9.png\""
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");
    let other = "11111111-1111-4111-8111-111111111111";
    let res = c.get(&url).bearer_auth(other).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "File not found or access denied"})
    );
    // failing code still completes
    let (s, b) = post(
        &mock,
        "/agent/coding",
        json!({"prompt": "p", "code": "1/0"}),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        b["result"]
            .as_str()
            .unwrap()
            .contains("Code execution failed.")
    );
}

#[tokio::test]
async fn put_file_hostile_names_and_empty_files() {
    let mock = MockServer::start().await.unwrap();
    let id = mock.put_file(TEST_API_KEY, "../../etc/pa ss\"wd", "secret");
    let res = Client::new()
        .get(format!("{}/agent/files/{id}", mock.agents_url()))
        .bearer_auth(TEST_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"pa%20ss%22wd\""
    );
    assert_eq!(res.headers()["content-length"], "6");
    let empty = mock.put_file(TEST_API_KEY, "e.txt", "");
    let res = Client::new()
        .get(format!("{}/agent/files/{empty}", mock.agents_url()))
        .bearer_auth(TEST_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn downloads_serve_byte_ranges_as_a_static_file_server_does() {
    let mock = MockServer::start().await.unwrap();
    let id = mock.put_file(TEST_API_KEY, "digits.txt", "0123456789");
    let url = format!("{}/agent/files/{id}", mock.agents_url());
    let get = |range: Option<&str>, if_range: Option<&str>| {
        let mut request = Client::new().get(&url).bearer_auth(TEST_API_KEY);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        if let Some(if_range) = if_range {
            request = request.header("if-range", if_range);
        }
        async move { request.send().await.unwrap() }
    };

    let whole = get(None, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'), "a strong validator: {etag}");

    for (range, content_range, body) in [
        ("bytes=4-", "bytes 4-9/10", "456789"),
        ("bytes=2-4", "bytes 2-4/10", "234"),
        ("bytes=7-100", "bytes 7-9/10", "789"),
        ("bytes=-3", "bytes 7-9/10", "789"),
    ] {
        let part = get(Some(range), Some(&etag)).await;
        assert_eq!(part.status(), 206, "{range}");
        assert_eq!(part.headers()["content-range"], content_range, "{range}");
        assert_eq!(
            part.headers()["content-length"],
            body.len().to_string().as_str()
        );
        assert_eq!(part.text().await.unwrap(), body, "{range}");
    }

    // Another file's validator, several ranges or nonsense: the whole file.
    for (range, if_range) in [
        ("bytes=4-", Some("\"other\"")),
        ("bytes=0-1,4-5", None),
        ("lines=1-2", None),
        ("bytes=5-2", None),
    ] {
        let res = get(Some(range), if_range).await;
        assert_eq!(res.status(), 200, "{range}");
        assert_eq!(res.text().await.unwrap(), "0123456789");
    }

    let past = get(Some("bytes=10-"), None).await;
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */10");
}

fn ds_form(prompt: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("prompt", prompt.to_owned())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("data.csv"),
        )
}

#[tokio::test]
async fn datascience_multipart_html_and_interactive_flow() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let base = mock.agents_url();
    let res = c
        .post(format!("{base}/agent/datascience"))
        .bearer_auth(TEST_API_KEY)
        .multipart(ds_form("why?"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(!text.contains("<!DOCTYPE") && text.contains("data.csv") && text.contains("8 bytes"));
    let res = c
        .post(format!("{base}/agent/datascience"))
        .multipart(reqwest::multipart::Form::new().text("prompt", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    let url = format!("{base}/agent/datascience/interactive");
    let res = c
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .multipart(reqwest::multipart::Form::new().text("prompt", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"status": "error", "error": "An internal error occurred"})
    );
    let b: Value = c
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .multipart(ds_form("x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["status"], "interrupted");
    assert!(
        b["result"]
            .as_str()
            .unwrap()
            .starts_with("Please <b>provide feedback</b> on the following plan or approve it.\n\n")
    );
    let ids = b["file_ids"].to_string();
    let tid = b["thread_id"].as_str().unwrap().to_owned();
    let step2 = |prompt: &str, ids: &str| {
        reqwest::multipart::Form::new()
            .text("prompt", prompt.to_owned())
            .text("resume", "true")
            .text("thread_id", tid.clone())
            .text("file_ids_json", ids.to_owned())
    };
    let res = c
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .multipart(step2("add a control group", &ids))
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["status"], "interrupted");
    let res = c
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .multipart(step2("ok", "[\"unknown\"]"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>().await.unwrap()["thread_id"],
        tid.as_str()
    );
    let res = c
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .multipart(step2(" LGTM ", &ids))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
}

#[tokio::test]
async fn standard_headers_and_unknown_routes() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let a = c.get(format!("{}/nope", mock.url())).send().await.unwrap();
    assert_eq!(a.status(), 404);
    let h = a.headers().clone();
    assert_eq!(
        a.json::<Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
    let b = c
        .get(format!("{}/agent/mainagent", mock.agents_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(b.status(), 405);
    assert_ne!(b.headers()["x-request-id"], h["x-request-id"]);
    assert_eq!(
        b.json::<Value>().await.unwrap(),
        json!({"detail": "Method Not Allowed"})
    );
    assert!(is_uuid4(h["x-request-id"].to_str().unwrap()));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(
        h["permissions-policy"],
        "camera=(), microphone=(self), geolocation=()"
    );
}
