//! One test per rule of the WHATWG event stream interpretation
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>),
//! plus the decoder's own rules (size limit, invalid UTF-8, stream adapter).

use std::time::Duration;

use futures::executor::block_on;
use futures::{StreamExt, stream};
use sambanova_agents::sse::{DecodeError, Decoder, Event, EventStream, StreamError};

type Decoded = Vec<Result<Event, DecodeError>>;

fn event(event: &str, data: &str, id: &str) -> Result<Event, DecodeError> {
    Ok(Event::new(event, data, id))
}

fn message(data: &str) -> Result<Event, DecodeError> {
    event("message", data, "")
}

/// Feeds `chunks` to `decoder` then ends the stream.
fn decode_with(decoder: &mut Decoder, chunks: &[&[u8]]) -> Decoded {
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut out);
    }
    decoder.finish(&mut out);
    out
}

fn decode(chunks: &[&[u8]]) -> Decoded {
    decode_with(&mut Decoder::new(), chunks)
}

#[test]
fn lf_line_ends() {
    assert_eq!(decode(&[b"data: a\n\n"]), vec![message("a")]);
}

#[test]
fn crlf_line_ends() {
    assert_eq!(
        decode(&[b"data: a\r\ndata: b\r\n\r\n"]),
        vec![message("a\nb")]
    );
}

#[test]
fn cr_line_ends() {
    assert_eq!(decode(&[b"data: a\rdata: b\r\r"]), vec![message("a\nb")]);
}

#[test]
fn mixed_line_ends_in_one_stream() {
    assert_eq!(
        decode(&[b"data: a\rdata: b\ndata: c\r\n\n"]),
        vec![message("a\nb\nc")]
    );
}

#[test]
fn crlf_split_across_chunks_is_one_line_end() {
    assert_eq!(
        decode(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
        vec![message("a\nb")]
    );
}

#[test]
fn crlf_split_across_chunks_with_an_empty_chunk_between() {
    assert_eq!(decode(&[b"data: a\r", b"", b"\n\n"]), vec![message("a")]);
}

#[test]
fn lone_cr_at_chunk_end_dispatches_at_once() {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    decoder.feed(b"data: a\r\r", &mut out);
    assert_eq!(
        out,
        vec![message("a")],
        "dispatched without waiting for more"
    );
    // The LF that may follow completes the CRLF, it is not another blank line.
    decoder.feed(b"\ndata: b\n\n", &mut out);
    assert_eq!(out, vec![message("a"), message("b")]);
}

#[test]
fn cr_then_lf_in_next_chunk_after_text_is_not_skipped() {
    // CR ends "data: a"; "x" starts a new line; the LF then ends "x".
    assert_eq!(
        decode(&[b"data: a\r", b"x\n\n"]),
        vec![message("a")],
        "`x` is an unknown field, ignored"
    );
}

#[test]
fn bom_at_stream_start_is_removed() {
    assert_eq!(decode(&[b"\xEF\xBB\xBFdata: a\n\n"]), vec![message("a")]);
}

#[test]
fn bom_at_stream_start_before_a_blank_line_is_removed() {
    assert_eq!(decode(&[b"\xEF\xBB\xBF\ndata: a\n\n"]), vec![message("a")]);
}

#[test]
fn bom_split_over_two_chunks_is_removed() {
    assert_eq!(
        decode(&[b"\xEF\xBB", b"\xBFdata: a\n\n"]),
        vec![message("a")]
    );
    assert_eq!(
        decode(&[b"\xEF", b"\xBB", b"\xBF", b"data: a\n\n"]),
        vec![message("a")]
    );
}

#[test]
fn bom_later_in_the_stream_is_kept_as_a_data_char() {
    assert_eq!(
        decode(&[b"data: a\n\n\xEF\xBB\xBFdata: b\n\ndata: \xEF\xBB\xBFc\n\n"]),
        // The second line's field name is "\u{FEFF}data", an unknown field.
        vec![message("a"), message("\u{FEFF}c")]
    );
}

#[test]
fn only_one_bom_is_removed() {
    assert_eq!(
        decode(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n"]),
        vec![message("b")]
    );
}

#[test]
fn field_without_colon_is_a_name_with_an_empty_value() {
    assert_eq!(decode(&[b"data\n\n"]), vec![message("")]);
}

#[test]
fn one_leading_space_after_the_colon_is_removed() {
    assert_eq!(
        decode(&[b"data:a\n\ndata: b\n\ndata:  c\n\n"]),
        vec![message("a"), message("b"), message(" c")]
    );
}

#[test]
fn value_keeps_later_colons() {
    assert_eq!(decode(&[b"data: a: b:c\n\n"]), vec![message("a: b:c")]);
}

#[test]
fn data_twice_is_joined_with_lf() {
    assert_eq!(decode(&[b"data: a\ndata: b\n\n"]), vec![message("a\nb")]);
}

#[test]
fn empty_data_twice_is_one_lf() {
    assert_eq!(decode(&[b"data:\ndata:\n\n"]), vec![message("\n")]);
}

#[test]
fn empty_data_once_dispatches_an_empty_message() {
    assert_eq!(decode(&[b"data:\n\n"]), vec![message("")]);
}

#[test]
fn event_without_data_is_not_dispatched() {
    assert_eq!(
        decode(&[b"event: ping\n\nid: 1\n\nretry: 5\n\n: c\n\n\n\n"]),
        vec![]
    );
}

#[test]
fn event_without_data_still_updates_the_last_event_id() {
    let mut decoder = Decoder::new();
    assert_eq!(decode_with(&mut decoder, &[b"id: 7\n\n"]), vec![]);
    assert_eq!(decoder.last_event_id(), "7");
    assert_eq!(
        decode_with(&mut decoder, &[b"data: a\n\n"]),
        vec![event("message", "a", "7")]
    );
}

#[test]
fn event_type_defaults_to_message() {
    assert_eq!(decode(&[b"data: a\n\n"]), vec![message("a")]);
}

#[test]
fn empty_event_type_means_message() {
    assert_eq!(decode(&[b"event:\ndata: a\n\n"]), vec![message("a")]);
}

#[test]
fn last_event_field_wins() {
    assert_eq!(
        decode(&[b"event: a\nevent: b\ndata: x\n\n"]),
        vec![event("b", "x", "")]
    );
}

#[test]
fn event_type_is_reset_after_dispatch() {
    assert_eq!(
        decode(&[b"event: add\ndata: 1\n\ndata: 2\n\n"]),
        vec![event("add", "1", ""), message("2")]
    );
}

#[test]
fn event_type_is_reset_by_a_blank_line_without_data() {
    assert_eq!(decode(&[b"event: add\n\ndata: 2\n\n"]), vec![message("2")]);
}

#[test]
fn id_persists_across_events() {
    assert_eq!(
        decode(&[b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"]),
        vec![
            event("message", "a", "1"),
            event("message", "b", "1"),
            event("message", "c", "2"),
        ]
    );
}

#[test]
fn empty_id_resets_the_last_event_id() {
    assert_eq!(
        decode(&[b"id: 1\ndata: a\n\nid\ndata: b\n\n"]),
        vec![event("message", "a", "1"), message("b")]
    );
}

#[test]
fn id_takes_effect_at_dispatch_not_before() {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    decoder.feed(b"id: 1\ndata: a\n", &mut out);
    assert_eq!(
        decoder.last_event_id(),
        "",
        "the event is not dispatched yet"
    );
    decoder.feed(b"\n", &mut out);
    assert_eq!(decoder.last_event_id(), "1");
}

#[test]
fn id_containing_nul_is_ignored() {
    let mut decoder = Decoder::new();
    assert_eq!(
        decode_with(&mut decoder, &[b"id: 1\n\nid: 2\0x\ndata: a\n\n"]),
        vec![event("message", "a", "1")]
    );
    assert_eq!(decoder.last_event_id(), "1");
}

/// Which decoded events set their id themselves (the rest inherit it), in order.
fn sets_id(chunks: &[&[u8]]) -> Vec<(String, bool)> {
    decode(chunks)
        .into_iter()
        .map(|event| {
            let event = event.expect("within the size limit");
            (event.id().to_owned(), event.sets_id())
        })
        .collect()
}

#[test]
fn an_event_says_whether_it_set_its_id_or_inherited_it() {
    let own = |id: &str| (id.to_owned(), true);
    let inherited = |id: &str| (id.to_owned(), false);
    assert_eq!(
        sets_id(&[b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"]),
        [own("1"), inherited("1"), own("2")]
    );
    // An id with NUL is ignored: the event inherits the earlier one.
    assert_eq!(
        sets_id(&[b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n"]),
        [own("1"), inherited("1")]
    );
    // `id` with no value sets the id to empty; the events after it inherit that.
    assert_eq!(
        sets_id(&[b"id: 1\ndata: a\n\nid\ndata: b\n\ndata: c\n\n"]),
        [own("1"), own(""), inherited("")]
    );
    // An id-only block sets the id that the next event inherits.
    assert_eq!(sets_id(&[b"id: 7\n\ndata: a\n\n"]), [inherited("7")]);
    // Split anywhere, the same.
    assert_eq!(
        sets_id(&[
            b"id: 1\ndata: a\n",
            b"\ndat",
            b"a: b\n\ni",
            b"d: 2\ndata: c\n\n"
        ]),
        [own("1"), inherited("1"), own("2")]
    );
    // After a new stream starts, the id is inherited until the stream sets one.
    let mut decoder = Decoder::new();
    decode_with(&mut decoder, &[b"id: 1\ndata: a\n\n"]);
    let next = decode_with(&mut decoder, &[b"data: b\n\n"]);
    let event = next[0].as_ref().expect("an event");
    assert_eq!((event.id(), event.sets_id()), ("1", false));
}

#[test]
fn retry_with_ascii_digits_sets_the_reconnection_time() {
    let mut decoder = Decoder::new();
    decode_with(&mut decoder, &[b"retry: 2500\n"]);
    assert_eq!(
        decoder.reconnection_time(),
        Some(Duration::from_millis(2500))
    );
}

#[test]
fn retry_with_non_digits_is_ignored() {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    decoder.feed(b"retry: 1000\n", &mut out);
    for invalid in [
        &b"retry: 12a\n"[..],
        b"retry: +5\n",
        b"retry: -5\n",
        b"retry: 1.5\n",
        b"retry:  5\n",
        b"retry: 5 \n",
        b"retry: \n",
        b"retry\n",
        b"retry: \xD9\xA5\n", // ARABIC-INDIC DIGIT FIVE is a digit, not an ASCII one
    ] {
        decoder.feed(invalid, &mut out);
        assert_eq!(
            decoder.reconnection_time(),
            Some(Duration::from_millis(1000)),
            "{:?} must be ignored",
            String::from_utf8_lossy(invalid)
        );
    }
    assert_eq!(out, vec![]);
}

#[test]
fn retry_too_large_for_u64_saturates() {
    let mut decoder = Decoder::new();
    decode_with(&mut decoder, &[b"retry: 99999999999999999999999\n"]);
    assert_eq!(
        decoder.reconnection_time(),
        Some(Duration::from_millis(u64::MAX))
    );
}

#[test]
fn comment_lines_are_ignored_and_counted() {
    let mut decoder = Decoder::new();
    assert_eq!(
        decode_with(
            &mut decoder,
            &[b": keepalive\n\n:\ndata: a\n: inside an event\ndata: b\n\n"]
        ),
        vec![message("a\nb")]
    );
    assert_eq!(decoder.comments_seen(), 3);
}

#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(
        decode(&[b"foo: bar\nData: x\ndata : y\ndata: a\n\n"]),
        vec![message("a")]
    );
}

#[test]
fn incomplete_last_event_is_discarded_at_finish() {
    assert_eq!(decode(&[b"data: a\n\ndata: b\n"]), vec![message("a")]);
    assert_eq!(decode(&[b"data: a\n\ndata: b"]), vec![message("a")]);
}

#[test]
fn unterminated_last_line_is_not_interpreted() {
    let mut decoder = Decoder::new();
    decode_with(&mut decoder, &[b"data: a\n\nid: 9"]);
    assert_eq!(decoder.last_event_id(), "", "`id: 9` never ended");
}

#[test]
fn finish_resets_for_a_new_stream_but_keeps_the_last_event_id() {
    let mut decoder = Decoder::new();
    assert_eq!(
        decode_with(&mut decoder, &[b"id: 4\ndata: a\n\nid: 5\ndata: partial\n"]),
        vec![event("message", "a", "4")]
    );
    assert_eq!(
        decode_with(&mut decoder, &[b"\xEF\xBB\xBFdata: b\n\n"]),
        vec![event("message", "b", "4")],
        "new stream: BOM removed again, unfinished id 5 dropped, id 4 kept"
    );
}

#[test]
fn invalid_utf8_becomes_replacement_char_and_decoding_goes_on() {
    assert_eq!(
        decode(&[b"data: a\xFFb\xC3\n\nevent: t\xE2\x82\ndata: \xF0\x9F\x98\n\ndata: ok\n\n"]),
        vec![
            message("a\u{FFFD}b\u{FFFD}"),
            event("t\u{FFFD}", "\u{FFFD}", ""),
            message("ok"),
        ]
    );
}

#[test]
fn invalid_utf8_in_id_is_replaced() {
    assert_eq!(
        decode(&[b"id: \xFF1\ndata: a\n\n"]),
        vec![event("message", "a", "\u{FFFD}1")]
    );
}

#[test]
fn multibyte_char_split_across_chunks_is_kept() {
    // U+1F600 (F0 9F 98 80) split after every byte, in data, event and id.
    assert_eq!(
        decode(&[
            b"event: \xF0",
            b"\x9F",
            b"\x98",
            b"\x80\nid: \xE2\x82",
            b"\xAC\ndata: \xC3",
            b"\xA9\n\n",
        ]),
        vec![event("\u{1F600}", "\u{E9}", "\u{20AC}")]
    );
}

#[test]
fn data_line_split_right_after_the_colon_still_loses_one_space() {
    assert_eq!(decode(&[b"data:", b" a\n\n"]), vec![message("a")]);
    assert_eq!(decode(&[b"data:", b"", b"  a\n\n"]), vec![message(" a")]);
    assert_eq!(decode(&[b"data", b": a\n\n"]), vec![message("a")]);
    assert_eq!(decode(&[b"data:", b"\n\n"]), vec![message("")]);
}

#[test]
fn split_character_cut_short_by_an_invalid_byte_is_one_replacement_char() {
    assert_eq!(
        decode(&[b"data: \xF0\x9F", b"\x98x\n\n"]),
        vec![message("\u{FFFD}x")]
    );
    assert_eq!(
        decode(&[b"data: a\xF0", b"\x9F", b"\n\n"]),
        vec![message("a\u{FFFD}")],
        "a character cut short by the line end"
    );
}

#[test]
fn invalid_bytes_count_as_their_replacement_chars_for_the_limit() {
    // 16 bytes on the wire, but 33 bytes of text once each 0xFF is U+FFFD.
    let line = [&b"data:"[..], &[0xFF; 11], b"\n\ndata: ok\n\n"].concat();
    for chunks in [vec![&line[..]], line.chunks(3).collect()] {
        let mut decoder = Decoder::with_max_event_size(16);
        assert_eq!(
            decode_with(&mut decoder, &chunks),
            vec![Err(DecodeError::EventTooLarge { limit: 16 }), message("ok")]
        );
    }
}

#[test]
fn eight_mib_line_in_8_kib_chunks_decodes_whole() {
    let value = "é".repeat(4 * 1024 * 1024 - 8);
    let stream = format!("data: {value}\n\nid: 1\ndata: next\n\n");
    let chunks: Vec<&[u8]> = stream.as_bytes().chunks(8 * 1024).collect();
    let decoded = decode(&chunks);
    assert_eq!(decoded.len(), 2);
    assert!(matches!(&decoded[0], Ok(event) if event.data() == value));
    assert_eq!(decoded[1], event("message", "next", "1"));
}

#[test]
fn oversized_event_is_reported_once_then_the_next_event_decodes() {
    let mut decoder = Decoder::with_max_event_size(32);
    let too_long = format!("data: {}\n", "x".repeat(20));
    let stream = format!("data: a\n\n{too_long}{too_long}{too_long}id: 3\n\ndata: b\n\n");
    assert_eq!(
        decode_with(&mut decoder, &[stream.as_bytes()]),
        vec![
            message("a"),
            Err(DecodeError::EventTooLarge { limit: 32 }),
            message("b"),
        ]
    );
    assert_eq!(decoder.last_event_id(), "", "`id: 3` came after the limit");
}

#[test]
fn oversized_single_line_over_many_chunks_is_reported_once() {
    let mut decoder = Decoder::with_max_event_size(1024);
    let mut out = Vec::new();
    decoder.feed(b"data: ", &mut out);
    for _ in 0..100 {
        decoder.feed(&[b'x'; 100], &mut out);
    }
    decoder.feed(b"\ndata: more\n\ndata: b\n\n", &mut out);
    assert_eq!(
        out,
        vec![
            Err(DecodeError::EventTooLarge { limit: 1024 }),
            message("b")
        ]
    );
}

#[test]
fn event_exactly_at_the_limit_is_accepted() {
    // Data buffer "0123456789\n" is 11 bytes; the line "data: 0123456789" is 16.
    let mut decoder = Decoder::with_max_event_size(16);
    assert_eq!(
        decode_with(&mut decoder, &[b"data: 0123456789\n\n"]),
        vec![message("0123456789")]
    );
    let mut decoder = Decoder::with_max_event_size(15);
    assert_eq!(
        decode_with(&mut decoder, &[b"data: 0123456789\n\n"]),
        vec![Err(DecodeError::EventTooLarge { limit: 15 })]
    );
}

#[test]
fn the_whatwg_spec_examples_decode_as_documented() {
    let examples: [(&[u8], Decoded); 4] = [
        (
            b"data: YHOO\ndata: +2\ndata: 10\n\n",
            vec![message("YHOO\n+2\n10")],
        ),
        (
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
            vec![
                event("message", "first event", "1"),
                message("second event"),
            ],
        ),
        (
            b"data\n\ndata\ndata\n\ndata:\n",
            vec![message(""), message("\n")],
        ),
        (
            b"data:test\n\ndata: test\n\n",
            vec![message("test"), message("test")],
        ),
    ];
    for (input, expected) in examples {
        assert_eq!(decode(&[input]), expected);
    }
}

#[derive(Debug, PartialEq)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}

impl std::error::Error for Broken {}

#[test]
fn stream_adapter_surfaces_a_transport_error_and_goes_on() {
    let chunks = stream::iter([
        Ok(&b"data: a\n\ndata: b"[..]),
        Err(Broken),
        Ok(&b"c\n\ndata: partial"[..]),
    ]);
    let items: Vec<_> = block_on(EventStream::new(chunks).collect());
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(matches!(&items[0], Ok(e) if e.data() == "a"));
    assert!(matches!(&items[1], Err(StreamError::Transport(Broken))));
    assert!(matches!(&items[2], Ok(e) if e.data() == "bc"));
}

#[test]
fn stream_adapter_surfaces_decode_errors_and_keeps_the_decoder_state() {
    let chunks = stream::iter([
        Ok::<_, Broken>(b"id: 1\ndata: aaaaaaaaaaaaaaaaaaaaaaaaaa\n\n".to_vec()),
        Ok(b": ping\ndata: b\n\n".to_vec()),
    ]);
    let mut events = EventStream::with_decoder(chunks, Decoder::with_max_event_size(10));
    let items: Vec<_> = block_on(events.by_ref().collect());
    assert!(matches!(
        &items[..],
        [
            Err(StreamError::Decode(DecodeError::EventTooLarge { limit: 10 })),
            Ok(e),
        ] if e.data() == "b" && e.id() == "1"
    ));
    assert_eq!(events.decoder().comments_seen(), 1);
    assert!(futures::stream::FusedStream::is_terminated(&events));
}

#[test]
fn stream_adapter_error_messages_chain_to_the_transport_error() {
    let error: StreamError<Broken> = StreamError::Transport(Broken);
    let source = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("connection reset"));
}
