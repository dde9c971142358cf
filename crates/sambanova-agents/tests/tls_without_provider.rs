//! With `rustls-no-provider` as the only TLS backend and no crypto provider installed, building
//! a client is a configuration error that says what to do, not reqwest's panic. Run with
//! `cargo test -p sambanova-agents --no-default-features --features rustls-no-provider --test
//! tls_without_provider` (CI does); with other features this file is empty.
#![cfg(all(
    feature = "rustls-no-provider",
    not(feature = "rustls"),
    not(feature = "native-tls")
))]

#[test]
fn building_a_client_without_a_crypto_provider_is_an_error_not_a_panic() {
    let error = sambanova_agents::Client::builder()
        .api_key("test-key")
        .build()
        .expect_err("no provider is installed in this process");
    let text = error.to_string();
    assert!(
        text.contains("no rustls crypto provider is installed"),
        "{text}"
    );
    assert!(text.contains("install_default"), "says what to do: {text}");
    assert!(!text.contains("test-key"), "{text}");
}
