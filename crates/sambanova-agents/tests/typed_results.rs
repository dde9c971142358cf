//! Typed results: the financial report from the mock and from a recorded answer of the real
//! backend (`tests/fixtures/agents/`, byte for byte), unknown fields kept, decode errors with
//! their kind and serde path, `parse` into a caller's own struct, and the deep research
//! report read from its markdown.

mod support;

use sambanova_agents::reports::{Figure, FinancialReport, ResearchReport};
use sambanova_agents::{Client, Completion, Error, ErrorKind};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};
use serde::Deserialize;

/// A recorded answer, as the server wrote it: headers then body.
fn recorded(name: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/agents");
    let head = std::fs::read_to_string(format!("{dir}/{name}.h")).unwrap();
    let body = std::fs::read_to_string(format!("{dir}/{name}.b")).unwrap();
    format!("{head}{body}")
}

/// The completion a client gets for a recorded answer, replayed on loopback.
async fn replayed(name: &str, call: impl AsyncFnOnce(&Client) -> Completion) -> Completion {
    let (url, server) = support::scripted_server(vec![recorded(name)]).await;
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(format!("{url}/api"))
        .build()
        .unwrap();
    let done = call(&client).await;
    server.await.unwrap();
    done
}

#[tokio::test]
async fn the_mocks_financial_report_has_every_section_typed() {
    let mock = MockServer::start().await.unwrap();
    let client = support::agents_client(&mock);
    let done = client
        .financial()
        .run("Analyse NVDA")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    let report = done.financial_report().unwrap();

    assert_eq!(report.ticker, "NVDA");
    assert_eq!(report.company_name, "NVDA Inc.");
    assert!(
        report.comprehensive_summary.contains("Analyse NVDA"),
        "{}",
        report.comprehensive_summary
    );
    assert_eq!(report.competitor.competitor_tickers, ["MSFT", "GOOGL"]);
    let rival = &report.competitor.competitor_details[0];
    assert_eq!(
        (rival.ticker.as_str(), rival.market_cap.as_str()),
        ("MSFT", "3.1T")
    );
    assert_eq!(rival.sector, "Technology");

    let fundamental = &report.fundamental;
    assert_eq!(fundamental.pe_ratio, "28.4");
    assert_eq!(fundamental.free_cash_flow, "99.6B");
    assert_eq!(fundamental.quarterly_fundamentals.len(), 2);
    assert_eq!(
        fundamental.quarterly_fundamentals[0].net_income.as_deref(),
        Some("23.6B")
    );
    // Left out by the server when it had none: an `Option`.
    assert_eq!(fundamental.quarterly_fundamentals[1].net_income, None);
    assert_eq!(fundamental.advanced_fundamentals["book_value"], "4.38");
    assert_eq!(fundamental.dividend_history[0]["dividend"], 0.24);

    assert_eq!(report.risk.beta, 1.21);
    assert_eq!(report.risk.value_at_risk_95, "-0.027");
    let returns: Vec<Option<f64>> = report
        .risk
        .daily_returns
        .iter()
        .map(|day| day.daily_return.as_f64())
        .collect();
    assert_eq!(returns, [Some(0.004), Some(-0.011)]);

    // The model's "text or number" figures, both as they came.
    let weeks = &report.stock_price_data;
    assert_eq!(weeks[0].close, Figure::Number(181.9));
    assert_eq!(weeks[1].close, Figure::Text("183.2".into()));
    assert_eq!(weeks[1].volume.as_f64(), Some(48_812_000.0));

    assert_eq!(report.news.news_items[0].link, "https://example.com/news/1");
    assert!(report.news.news_summary.contains("NVDA"));

    // Nothing the mock sends is unknown to the SDK: every section is typed.
    assert!(report.extra.is_empty(), "{:?}", report.extra);
    assert!(report.fundamental.extra.is_empty());
    assert!(report.risk.extra.is_empty());
}

#[tokio::test]
async fn a_recorded_financial_answer_of_the_real_backend_parses() {
    let done = replayed("financial", async |client| {
        client
            .financial()
            .run("Analyse FAKE")
            .await
            .unwrap()
            .into_completion()
            .unwrap()
    })
    .await;
    let report = done.financial_report().unwrap();

    assert_eq!(report.ticker, "FAKE");
    assert_eq!(report.company_name, "Fake Corp");
    assert_eq!(
        report.comprehensive_summary,
        "Scripted offline summary from the fake LLM."
    );
    assert_eq!(report.competitor.competitor_tickers, ["FAKE2"]);
    assert!(report.competitor.competitor_details.is_empty());
    assert_eq!(report.fundamental.market_cap, "1B");
    assert_eq!(report.fundamental.pe_ratio, "");
    assert_eq!(report.risk.beta, 1.1);
    assert_eq!(report.risk.max_drawdown, "-0.2");
    assert!(report.stock_price_data.is_empty());
    assert_eq!(report.news.news_items[0].title, "Offline");
    assert_eq!(report.news.news_summary, "No news offline.");
    // The real model has no field the SDK does not type.
    assert!(report.extra.is_empty(), "{:?}", report.extra);

    // Written back, the report is the document the server sent.
    let sent: serde_json::Value = serde_json::from_str(done.text()).unwrap();
    assert_eq!(serde_json::to_value(&report).unwrap(), sent);
}

#[test]
fn unknown_fields_are_kept_at_every_level_and_written_back() {
    let document = serde_json::json!({
        "ticker": "X",
        "company_name": "X Corp",
        "competitor": {"competitor_tickers": [], "rank": 3},
        "fundamental": {"sector": "Energy", "esg_score": "71",
                        "quarterly_fundamentals": [{"date": "2026-03-31", "eps": "1.2"}]},
        "risk": {"beta": 0.9, "sharpe_ratio": "1", "value_at_risk_95": "-0.02",
                 "max_drawdown": "-0.1", "volatility": "0.2", "sortino_ratio": "1.4"},
        "stock_price_data": [{"date": "d", "open": 1, "high": 2, "low": 0.5, "close": 1.5,
                              "volume": "10", "adjusted_close": 1.49}],
        "news": {"news_items": [{"title": "t", "link": "l", "sentiment": "positive"}]},
        "technical": {"rsi": "55.2"}
    });
    let done = Completion::from_result(document.to_string());
    let report = done.financial_report().unwrap();

    assert_eq!(report.extra["technical"]["rsi"], "55.2");
    assert_eq!(report.competitor.extra["rank"], 3);
    assert_eq!(report.fundamental.extra["esg_score"], "71");
    assert_eq!(
        report.fundamental.quarterly_fundamentals[0].extra["eps"],
        "1.2"
    );
    assert_eq!(report.risk.extra["sortino_ratio"], "1.4");
    assert_eq!(report.stock_price_data[0].extra["adjusted_close"], 1.49);
    assert_eq!(report.news.news_items[0].extra["sentiment"], "positive");
    // Left out: the server's defaults.
    assert_eq!(report.comprehensive_summary, "");
    assert_eq!(report.news.news_summary, "");

    let written = serde_json::to_value(&report).unwrap();
    for (path, value) in [
        ("/technical/rsi", "\"55.2\""),
        ("/competitor/rank", "3"),
        ("/fundamental/esg_score", "\"71\""),
        ("/fundamental/quarterly_fundamentals/0/eps", "\"1.2\""),
        ("/risk/sortino_ratio", "\"1.4\""),
        ("/stock_price_data/0/adjusted_close", "1.49"),
        ("/news/news_items/0/sentiment", "\"positive\""),
    ] {
        let expected: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(written.pointer(path), Some(&expected), "{path}");
    }
    let again: FinancialReport = serde_json::from_value(written).unwrap();
    assert_eq!(again, report);
}

fn decode_error(result: &str, request_id: &str) -> Error {
    let mut done = Completion::from_result(result);
    done.request_id = Some(request_id.into());
    done.financial_report().unwrap_err()
}

#[test]
fn a_result_that_does_not_fit_is_a_decode_error_with_its_serde_path() {
    let envelope: serde_json::Value = serde_json::from_str(&recorded_body("financial")).unwrap();
    let document: serde_json::Value =
        serde_json::from_str(envelope["result"].as_str().unwrap()).unwrap();
    let mut high = document.clone();
    high["risk"]["beta"] = "high".into();
    let error = decode_error(&high.to_string(), "r-7");

    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(!error.is_retryable());
    assert_eq!(error.request_id(), Some("r-7"));
    let Error::Decode {
        path,
        message,
        target,
        body,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(path, "risk.beta");
    assert!(
        message.contains("invalid type: string \"high\""),
        "{message}"
    );
    assert!(target.ends_with("FinancialReport"), "{target}");
    assert!(body.contains("\"high\""), "{body}");
    let shown = error.to_string();
    assert!(shown.contains("at risk.beta: invalid type"), "{shown}");
    assert!(shown.ends_with(" [request id r-7]"), "{shown}");

    // Deeper, in a list, and a missing field.
    let mut week = document.clone();
    week["stock_price_data"] = serde_json::json!([{"date": "d", "open": 1, "high": 1, "low": 1, "close": [], "volume": 1}]);
    let Error::Decode { path, .. } = decode_error(&week.to_string(), "r-8") else {
        panic!()
    };
    assert_eq!(path, "stock_price_data[0].close");

    let mut missing = document.clone();
    missing["news"]["news_items"] = serde_json::json!([{"title": "t"}]);
    let Error::Decode { path, message, .. } = decode_error(&missing.to_string(), "r-9") else {
        panic!()
    };
    assert_eq!(path, "news.news_items[0]");
    assert!(message.contains("missing field `link`"), "{message}");
}

#[test]
fn text_that_is_not_json_is_a_decode_error_too() {
    let error = decode_error("Error: no ticker symbol found in the prompt", "r-1");
    assert_eq!(error.kind(), ErrorKind::Decode);
    let Error::Decode { path, message, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(path, "");
    assert_eq!(
        message,
        "the agent answered with an error instead of a report: no ticker symbol found in the prompt"
    );

    // Through `parse`, the same kind, with serde's reason.
    let done = Completion::from_result("plain words");
    let error = done.parse::<serde_json::Value>().unwrap_err();
    let Error::Decode { path, message, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(path, "");
    assert!(
        message.starts_with("the result is not JSON: expected value"),
        "{message}"
    );
    // `json()` keeps answering what it did: the HTTP answer's kind.
    assert_eq!(
        done.json().unwrap_err().kind(),
        ErrorKind::UnexpectedResponse
    );

    let trailing = Completion::from_result(r#"{"a": 1} and more"#);
    let error = trailing.parse::<serde_json::Value>().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn parse_decodes_a_result_into_the_callers_own_struct() {
    #[derive(Debug, Deserialize)]
    struct Brief {
        ticker: String,
        risk: BriefRisk,
        #[serde(default)]
        not_sent: Option<String>,
    }
    #[derive(Debug, Deserialize)]
    struct BriefRisk {
        beta: f64,
        volatility: String,
    }

    let mock = MockServer::start().await.unwrap();
    let done = support::agents_client(&mock)
        .financial()
        .run("Analyse AMD")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    let brief: Brief = done.parse().unwrap();
    assert_eq!(brief.ticker, "AMD");
    assert_eq!(brief.risk.beta, 1.21);
    assert_eq!(brief.risk.volatility, "0.24");
    assert_eq!(brief.not_sent, None);

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        ticker: u32,
    }
    let error = done.parse::<Wrong>().unwrap_err();
    let Error::Decode {
        path, request_id, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(path, "ticker");
    assert_eq!(request_id.as_deref(), done.request_id.as_deref());
    assert!(request_id.is_some());
}

#[tokio::test]
async fn a_recorded_deep_research_answer_reads_as_sections() {
    let done = replayed("deep_research", async |client| {
        client
            .deep_research()
            .run("Solid-state batteries")
            .await
            .unwrap()
            .into_completion()
            .unwrap()
    })
    .await;
    let report = done.research_report().unwrap();
    assert_eq!(report.title, None);
    assert_eq!(report.preamble, "");
    let headings: Vec<_> = report
        .sections
        .iter()
        .map(|section| (section.heading.as_str(), section.level))
        .collect();
    assert_eq!(headings, [("Introduction", 1), ("Conclusion", 1)]);
    assert_eq!(
        report.sections[0].body,
        "This is a scripted answer from the offline fake LLM.\n\n## Summary\n\nNo external service was contacted."
    );
    assert!(report.sources.is_empty());
}

#[tokio::test]
async fn the_mocks_deep_research_report_has_a_title_sections_and_sources() {
    let mock = MockServer::start().await.unwrap();
    let done = support::agents_client(&mock)
        .deep_research()
        .run("Solid-state batteries")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    let report = done.research_report().unwrap();
    assert_eq!(report.title.as_deref(), Some("Solid-state batteries"));
    let headings: Vec<_> = report.sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(
        headings,
        ["Introduction", "Background", "Current State", "Conclusion"]
    );
    let urls: Vec<_> = report.sources.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, ["https://example.com/source-1"]);
    // The sources block is not part of the last section.
    assert!(!report.sections[3].body.contains("Sources"));
}

#[test]
fn the_server_shape_with_citations_and_a_text_that_is_no_report() {
    let report = ResearchReport::from_markdown(
        "# Introduction\n**Batteries** matter.\n\n# Market\nGrowing.\n\n## Citations\n\n- [Report A](https://a.example/r)\n- [Untitled](https://b.example/)",
    );
    assert_eq!(report.sections.len(), 2);
    assert_eq!(report.sections[1].body, "Growing.");
    assert_eq!(report.sources.len(), 2);
    assert_eq!(report.sources[0].title.as_deref(), Some("Report A"));

    let mut done = Completion::from_result("Code patched successfully\n\nError during setup");
    done.request_id = Some("r-2".into());
    let error = done.research_report().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.request_id(), Some("r-2"));
}

fn recorded_body(name: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/agents");
    std::fs::read_to_string(format!("{dir}/{name}.b")).unwrap()
}
