//! Typed views of the agents' results.
//!
//! What each agent's [`Completion`](crate::Completion) holds, and how stable its shape is:
//!
//! | agent | result | typed view |
//! | --- | --- | --- |
//! | financial analysis | a JSON document in a string (the server's pydantic model), or `Error: <reason>` text when its pipeline fails | [`FinancialReport`], with [`Completion::financial_report`](crate::Completion::financial_report): stable, the server validates it against its model |
//! | deep research | a markdown report the model writes | [`ResearchReport`], with [`Completion::research_report`](crate::Completion::research_report): derived from the headings, so only as stable as the model's markdown |
//! | data science | an HTML fragment | [`HtmlReport`](crate::HtmlReport) (its own outcome); its content is the model's |
//! | coding | a step log in free text (`Code patched successfully …`, the sandbox's errors) | none: the log has no stable shape, read it as text |
//! | main | the model's answer, free text | none |
//!
//! Any result that is JSON decodes into a type of your own with
//! [`Completion::parse`](crate::Completion::parse); a result that does not fit is an
//! [`Error::Decode`](crate::Error::Decode) that names the path where it stopped.
//!
//! Every struct of the financial report keeps the fields this SDK does not know in its
//! `extra` map, and serializes them back: a report read and written again loses nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The financial analysis agent's report: the server's `FinancialAnalysisResult` model, field
/// for field.
///
/// What the server's model requires is required here (a report without `ticker` or `risk` is
/// an [`Error::Decode`](crate::Error::Decode)); its optional fields are `Option`s, its lists
/// and maps default to empty, and its `str = ""` fields to empty strings (the server leaves
/// nulls out of the document). Figures the model keeps as text (`"2.95T"`, `"28.4"`, `""`) stay
/// text; the few it types as "text or number" are [`Figure`]s.
///
/// ```
/// use sambanova_agents::Completion;
///
/// let done = Completion::from_result(r#"{
///   "ticker": "NVDA",
///   "company_name": "NVIDIA Corporation",
///   "competitor": {"competitor_tickers": ["AMD"], "competitor_details": []},
///   "fundamental": {"sector": "Technology", "pe_ratio": "52.1"},
///   "risk": {"beta": 1.7, "sharpe_ratio": "1.9", "value_at_risk_95": "-0.045",
///            "max_drawdown": "-0.27", "volatility": "0.48"},
///   "news": {"news_items": [{"title": "Earnings beat", "link": "https://example.com/1"}]},
///   "comprehensive_summary": "NVIDIA …",
///   "analyst_mood": "upbeat"
/// }"#);
/// let report = done.financial_report()?;
/// assert_eq!(report.company_name, "NVIDIA Corporation");
/// assert_eq!(report.competitor.competitor_tickers, ["AMD"]);
/// assert_eq!(report.fundamental.pe_ratio, "52.1");
/// assert_eq!(report.risk.beta, 1.7);
/// assert!(report.stock_price_data.is_empty());
/// // A field this SDK does not know is kept.
/// assert_eq!(report.extra["analyst_mood"], "upbeat");
/// # Ok::<(), sambanova_agents::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FinancialReport {
    /// The ticker the agent picked from the prompt, e.g. `NVDA`.
    pub ticker: String,
    /// The company's name.
    pub company_name: String,
    /// The competitors the agent compared against.
    pub competitor: Competitors,
    /// The company's fundamentals.
    pub fundamental: Fundamentals,
    /// The risk figures over the last year.
    pub risk: Risk,
    /// Weekly prices (the last three months, on the real server).
    #[serde(default)]
    pub stock_price_data: Vec<PricePoint>,
    /// Recent news, with a summary.
    pub news: News,
    /// The long-form analysis that brings the sections together (some 700 words).
    #[serde(default)]
    pub comprehensive_summary: String,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The competitors section of a [`FinancialReport`] (the server's `CompetitorBlock`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Competitors {
    /// The competitors' tickers.
    #[serde(default)]
    pub competitor_tickers: Vec<String>,
    /// What is known of each competitor (often fewer than the tickers, or none).
    #[serde(default)]
    pub competitor_details: Vec<Competitor>,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One competitor (the server's `CompetitorInfo`): each figure as the server's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)] // Each field is the server's figure of the same name.
pub struct Competitor {
    pub ticker: String,
    pub name: String,
    pub market_cap: String,
    pub pe_ratio: String,
    pub ps_ratio: String,
    pub ebitda_margins: String,
    pub profit_margins: String,
    pub revenue_growth: String,
    pub earnings_growth: String,
    pub short_ratio: String,
    pub industry: String,
    pub sector: String,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fundamentals section of a [`FinancialReport`] (the server's `FundamentalData`): every
/// figure is the server's text, empty when it had none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)] // Each text field is the server's figure of the same name.
#[serde(default)]
pub struct Fundamentals {
    pub company_name: String,
    pub sector: String,
    pub industry: String,
    pub market_cap: String,
    pub pe_ratio: String,
    pub forward_pe: String,
    pub peg_ratio: String,
    pub ps_ratio: String,
    pub price_to_book: String,
    pub dividend_yield: String,
    pub beta: String,
    pub year_high: String,
    pub year_low: String,
    pub analyst_recommendation: String,
    pub target_price: String,
    pub earnings_per_share: String,
    pub profit_margins: String,
    pub operating_margins: String,
    pub ebitda_margins: String,
    pub short_ratio: String,
    pub current_ratio: String,
    pub debt_to_equity: String,
    pub return_on_equity: String,
    pub return_on_assets: String,
    pub revenue_growth: String,
    pub net_income_growth: String,
    pub free_cash_flow: String,
    /// Revenue and net income by quarter.
    pub quarterly_fundamentals: Vec<QuarterlyFundamentals>,
    /// Further figures, by name.
    pub advanced_fundamentals: BTreeMap<String, String>,
    /// Past dividends, one object each; the server does not fix their keys.
    pub dividend_history: Vec<Map<String, Value>>,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One quarter of [`Fundamentals::quarterly_fundamentals`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuarterlyFundamentals {
    /// The quarter's date, as the server wrote it.
    pub date: String,
    /// Total revenue, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_revenue: Option<String>,
    /// Net income, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_income: Option<String>,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The risk section of a [`FinancialReport`] (the server's `RiskData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Risk {
    /// The beta, a number.
    pub beta: f64,
    /// The Sharpe ratio, as text.
    pub sharpe_ratio: String,
    /// The one-day value at risk at 95 %, as text (e.g. `-0.03`).
    pub value_at_risk_95: String,
    /// The maximum drawdown, as text (e.g. `-0.2`).
    pub max_drawdown: String,
    /// The volatility, as text.
    pub volatility: String,
    /// Daily returns (often empty).
    #[serde(default)]
    pub daily_returns: Vec<DailyReturn>,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One day of [`Risk::daily_returns`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DailyReturn {
    /// The day, as the server wrote it.
    pub date: String,
    /// The return that day.
    pub daily_return: Figure,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One week of [`FinancialReport::stock_price_data`] (the server's `WeeklyPriceData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)] // Each figure is the week's price (or volume) of the same name.
pub struct PricePoint {
    /// The week's date, as the server wrote it.
    pub date: String,
    pub open: Figure,
    pub high: Figure,
    pub low: Figure,
    pub close: Figure,
    pub volume: Figure,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The news section of a [`FinancialReport`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct News {
    /// The articles the agent read.
    #[serde(default)]
    pub news_items: Vec<NewsItem>,
    /// What the news says, in a paragraph.
    #[serde(default)]
    pub news_summary: String,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One article of [`News::news_items`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewsItem {
    /// The headline.
    pub title: String,
    /// The article's URL.
    pub link: String,
    /// Fields this SDK does not know, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A figure the server's model types as "text or number" (prices, volumes, daily returns):
/// kept as it came.
///
/// ```
/// use sambanova_agents::reports::Figure;
///
/// let price: Figure = serde_json::from_str("181.9").unwrap();
/// assert_eq!(price, Figure::Number(181.9));
/// let volume: Figure = serde_json::from_str(r#""51,234,000""#).unwrap();
/// assert_eq!(volume.as_f64(), Some(51_234_000.0));
/// assert_eq!(Figure::Text("n/a".into()).as_f64(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Figure {
    /// A JSON number.
    Number(f64),
    /// A JSON string, as sent.
    Text(String),
}

impl Figure {
    /// The figure as a number: a number as is, text when it reads as one (thousands
    /// separators and surrounding spaces allowed; `1.2B`-like suffixes are not read).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Figure::Number(number) => Some(*number),
            Figure::Text(text) => text.trim().replace(',', "").parse().ok(),
        }
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Number(number) => write!(f, "{number}"),
            Figure::Text(text) => f.write_str(text),
        }
    }
}

/// A deep research report, read from its markdown.
///
/// The deep research agent's result is markdown the model writes; the server puts each
/// section under a `#` heading (its name) and the sources it kept, deduplicated, last under
/// `## Citations` as `- [title](url)` lines. This view is derived from the headings:
///
/// - a block headed `Citations`, `Sources`, `References` or `Bibliography` (at any level,
///   up to the next heading of the same level or above) becomes [`ResearchReport::sources`],
///   one per line with a URL in it (`- [title](url)`, `Title : URL`, or a bare URL), and is
///   left out of the sections;
/// - when the report opens with its only heading of the top level and has deeper ones (`#
///   Title`, then `##` sections), that heading is the [`title`](ResearchReport::title) and the
///   next level holds the sections; otherwise (the real server's shape: `#` sections) there is
///   no title and the top level holds the sections;
/// - each section runs to the next heading of its level or above; deeper headings stay in its
///   body. Text before the first section is the [`preamble`](ResearchReport::preamble).
///   Headings inside fenced code blocks are not headings.
///
/// What is not stable: the model chooses the sections, their names, their order and, within
/// the limits of the server's prompts, the heading levels; a report the model wrote oddly
/// reads oddly here (a heading level skipped, sources under another name). The markdown
/// itself, [`Completion::text`](crate::Completion::text), is always there to fall back on.
///
/// ```
/// use sambanova_agents::reports::ResearchReport;
///
/// let markdown = [
///     "# Introduction",
///     "Solid-state batteries …",
///     "## Summary",
///     "Short.",
///     "# Conclusion",
///     "They are coming.",
///     "## Citations",
///     "- [Battery news](https://example.com/a)",
///     "- [Untitled](https://example.com/b)",
/// ]
/// .join("\n");
/// let report = ResearchReport::from_markdown(&markdown);
/// assert_eq!(report.title, None);
/// let headings: Vec<_> = report.sections.iter().map(|s| s.heading.as_str()).collect();
/// assert_eq!(headings, ["Introduction", "Conclusion"]);
/// assert!(report.sections[0].body.contains("## Summary"));
/// assert_eq!(report.sections[1].body, "They are coming.");
/// assert_eq!(report.sources[0].title.as_deref(), Some("Battery news"));
/// assert_eq!(report.sources[1].url, "https://example.com/b");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResearchReport {
    /// The report's title, when it has one (see above: the real server writes none).
    pub title: Option<String>,
    /// Text before the first section (often empty).
    pub preamble: String,
    /// The sections, in order.
    pub sections: Vec<ReportSection>,
    /// The sources listed, in order, each URL once.
    pub sources: Vec<Source>,
}

/// One section of a [`ResearchReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReportSection {
    /// The heading's text, without the `#`s.
    pub heading: String,
    /// The heading's level: 1 for `#`, 2 for `##`, ….
    pub level: u8,
    /// The markdown under the heading, trimmed, with its deeper headings.
    pub body: String,
}

/// One source of a [`ResearchReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Source {
    /// The title the report gave it, if any.
    pub title: Option<String>,
    /// The URL.
    pub url: String,
}

/// The headings under which a report lists its sources.
const SOURCE_HEADINGS: [&str; 4] = ["citations", "sources", "references", "bibliography"];

impl ResearchReport {
    /// Reads a report from its markdown (see the type's docs for how); never fails, and a
    /// text with no heading gives no sections, all of it in the preamble.
    pub fn from_markdown(markdown: &str) -> Self {
        let lines: Vec<&str> = markdown.lines().collect();
        let headings = headings(&lines);

        let mut kept = vec![true; lines.len()];
        let mut sources: Vec<Source> = Vec::new();
        for (index, heading) in headings.iter().enumerate() {
            if !is_source_heading(&heading.text) {
                continue;
            }
            let end = block_end(&headings, index, lines.len());
            for line in heading.line..end {
                kept[line] = false;
                if line > heading.line
                    && let Some(source) = source_of(lines[line])
                    && !sources.iter().any(|seen| seen.url == source.url)
                {
                    sources.push(source);
                }
            }
        }
        let headings: Vec<&Heading> = headings.iter().filter(|h| kept[h.line]).collect();

        let text_of = |from: usize, to: usize| -> String {
            let kept_lines: Vec<&str> = (from..to).filter(|&i| kept[i]).map(|i| lines[i]).collect();
            kept_lines.join("\n").trim().to_owned()
        };

        let Some(top) = headings.iter().map(|h| h.level).min() else {
            return ResearchReport {
                preamble: text_of(0, lines.len()),
                sources,
                ..ResearchReport::default()
            };
        };
        let at_top = headings.iter().filter(|h| h.level == top).count();
        let deeper = headings.iter().skip(1).map(|h| h.level).min();
        let (title, sections_from, level) = match deeper {
            Some(level) if at_top == 1 && headings[0].level == top => {
                (Some(headings[0].text.clone()), 1, level)
            }
            _ => (None, 0, top),
        };

        let section_headings: Vec<&&Heading> = headings[sections_from..]
            .iter()
            .filter(|h| h.level == level)
            .collect();
        let preamble_from = if title.is_some() {
            headings[0].line + 1
        } else {
            0
        };
        let preamble_to = section_headings
            .first()
            .map_or(lines.len(), |first| first.line);
        let sections = section_headings
            .iter()
            .map(|heading| {
                let end = headings
                    .iter()
                    .find(|next| next.line > heading.line && next.level <= level)
                    .map_or(lines.len(), |next| next.line);
                ReportSection {
                    heading: heading.text.clone(),
                    level: heading.level,
                    body: text_of(heading.line + 1, end),
                }
            })
            .collect();
        ResearchReport {
            title,
            preamble: text_of(preamble_from, preamble_to),
            sections,
            sources,
        }
    }
}

/// An ATX heading (`## Text`) of a markdown document.
struct Heading {
    line: usize,
    level: u8,
    text: String,
}

/// The ATX headings of `lines`, outside fenced code blocks.
fn headings(lines: &[&str]) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    for (index, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start_matches(' ');
        if indent <= 3
            && let Some(marker) = fence_of(trimmed)
        {
            match fence {
                None => fence = Some(marker),
                Some((open, width)) if marker.0 == open && marker.1 >= width => {
                    if trimmed.trim_start_matches(open).trim().is_empty() {
                        fence = None;
                    }
                }
                Some(_) => {}
            }
            continue;
        }
        if fence.is_some() || indent > 3 {
            continue;
        }
        let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let rest = &trimmed[hashes..];
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            continue;
        }
        // A closing run of `#`s is not part of the text (`## Title ##`).
        let rest = rest.trim();
        let closed = rest.trim_end_matches('#');
        let text = if closed.is_empty() || closed.ends_with([' ', '\t']) {
            closed.trim()
        } else {
            rest
        };
        found.push(Heading {
            line: index,
            level: hashes as u8,
            text: text.to_owned(),
        });
    }
    found
}

/// A code fence's character and width (```` ``` ```` or `~~~`, three or more).
fn fence_of(line: &str) -> Option<(char, usize)> {
    let first = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let width = line.len() - line.trim_start_matches(first).len();
    (width >= 3).then_some((first, width))
}

fn is_source_heading(text: &str) -> bool {
    let name = text.trim().trim_end_matches(':').trim().to_lowercase();
    SOURCE_HEADINGS.contains(&name.as_str())
}

/// Where the block under `headings[index]` ends: the next heading of its level or above.
fn block_end(headings: &[Heading], index: usize, end: usize) -> usize {
    let level = headings[index].level;
    headings[index + 1..]
        .iter()
        .find(|next| next.level <= level)
        .map_or(end, |next| next.line)
}

/// The source a line of a sources block names, if it has a URL.
fn source_of(line: &str) -> Option<Source> {
    let item = list_item(line.trim());
    // `[title](url)`
    if let Some(open) = item.find('[')
        && let Some(close) = item[open..].find("](").map(|at| open + at)
        && let Some(end) = item[close + 2..].find(')').map(|at| close + 2 + at)
    {
        let url = item[close + 2..end].trim();
        if is_url(url) {
            let title = item[open + 1..close].trim();
            return Some(Source {
                title: (!title.is_empty()).then(|| title.to_owned()),
                url: url.to_owned(),
            });
        }
    }
    // `Title : URL`, `Title - URL`, `<URL>`, a bare URL.
    let start = item.find("https://").or_else(|| item.find("http://"))?;
    let url = item[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches(['>', ')', ']', '.', ',', ';']);
    let title = item[..start]
        .trim_end()
        .trim_end_matches(['<', '(', '['])
        .trim_end()
        .trim_end_matches([':', '-', '–', '—', '|'])
        .trim();
    Some(Source {
        title: (!title.is_empty()).then(|| title.to_owned()),
        url: url.to_owned(),
    })
}

/// A list item's text without its marker (`- `, `* `, `+ `, `1. `, `1) `).
fn list_item(line: &str) -> &str {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim();
        }
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return rest.trim();
        }
    }
    line
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_over_sections_is_the_title() {
        let report = ResearchReport::from_markdown(
            "# Batteries\n\nOpening words.\n\n## Introduction\n\nThis report …\n\n### Detail\n\nMore.\n\n## Conclusion\n\nDone.\n\n### Sources\n- https://example.com/source-1\n- Paper : https://example.com/p.\n",
        );
        assert_eq!(report.title.as_deref(), Some("Batteries"));
        assert_eq!(report.preamble, "Opening words.");
        let headings: Vec<_> = report
            .sections
            .iter()
            .map(|s| (s.heading.as_str(), s.level))
            .collect();
        assert_eq!(headings, [("Introduction", 2), ("Conclusion", 2)]);
        assert_eq!(
            report.sections[0].body,
            "This report …\n\n### Detail\n\nMore."
        );
        assert_eq!(report.sections[1].body, "Done.");
        assert_eq!(
            report.sources,
            [
                Source {
                    title: None,
                    url: "https://example.com/source-1".into()
                },
                Source {
                    title: Some("Paper".into()),
                    url: "https://example.com/p".into()
                },
            ]
        );
    }

    #[test]
    fn sources_of_every_section_are_gathered_once_each() {
        let report = ResearchReport::from_markdown(
            "# A\nText A.\n### Sources\n1. [One](https://one.example/)\n2. [One again](https://one.example/)\n# B\nText B.\n## References:\n- Two - http://two.example/x\nnot a link\n",
        );
        assert_eq!(report.title, None);
        assert_eq!(report.sections.len(), 2);
        assert_eq!(report.sections[0].body, "Text A.");
        assert_eq!(report.sections[1].body, "Text B.");
        let urls: Vec<_> = report.sources.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, ["https://one.example/", "http://two.example/x"]);
        assert_eq!(report.sources[1].title.as_deref(), Some("Two"));
    }

    #[test]
    fn headings_in_code_fences_are_text() {
        let report = ResearchReport::from_markdown(
            "# Only\n```sh\n# not a heading\n```\n~~~~\n## nor this\n~~~\n~~~~\n## Real\nbody\n",
        );
        assert_eq!(report.title.as_deref(), Some("Only"));
        assert_eq!(report.sections.len(), 1);
        assert_eq!(report.sections[0].heading, "Real");
        assert_eq!(
            report.preamble,
            "```sh\n# not a heading\n```\n~~~~\n## nor this\n~~~\n~~~~"
        );
    }

    #[test]
    fn text_without_headings_is_all_preamble() {
        let report = ResearchReport::from_markdown("  just text\n#hashtag\n");
        assert_eq!(report.title, None);
        assert!(report.sections.is_empty());
        assert_eq!(report.preamble, "just text\n#hashtag");
    }

    #[test]
    fn closing_hashes_are_not_heading_text() {
        let report = ResearchReport::from_markdown("# One ##\nx\n# C# notes\ny\n");
        let headings: Vec<_> = report.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["One", "C# notes"]);
    }
}
