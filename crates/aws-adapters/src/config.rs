//! Building the shared AWS SDK configuration and the service clients, once per process.
//!
//! [`load_sdk_config`] uses aws-config's standard chain: region, credentials and the
//! endpoint come from the environment and profile files. aws-config 1.8 resolves
//! `AWS_ENDPOINT_URL` (and service-specific `AWS_ENDPOINT_URL_<SERVICE>`) natively, so
//! pointing the whole pipeline at a local moto server needs no code. Against such an
//! endpoint override, S3 must use path-style addressing (`http://127.0.0.1:port/bucket/key`)
//! because virtual-hosted buckets (`bucket.127.0.0.1`) do not resolve: [`s3_client`] turns
//! path style on whenever an endpoint override is present.
//!
//! The HTTPS client is the SDK's own (hyper 1 + rustls), with `ring` as the crypto provider
//! instead of the default `aws-lc-rs`: the same TLS 1.2/1.3 cipher suites, and no C build
//! step (`aws-lc-sys`) in a cold compile. It is built once per [`SdkConfig`] and shared by
//! every client made from it, and by the credential providers (IMDS, ECS, STS).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder as HttpClientBuilder;

/// Explicit settings, for tests and tools that must not depend on the environment.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Endpoint override for every service (`http://127.0.0.1:5000` for moto).
    pub endpoint_url: Option<String>,
    /// Region (`us-east-1`); the environment's otherwise.
    pub region: Option<String>,
    /// Static access key id and secret; the default credential chain otherwise.
    pub static_credentials: Option<(String, String)>,
}

impl AwsSettings {
    /// Settings for a local emulator at `endpoint_url` with dummy credentials.
    pub fn local(endpoint_url: impl Into<String>) -> Self {
        Self {
            endpoint_url: Some(endpoint_url.into()),
            region: Some("us-east-1".into()),
            static_credentials: Some(("testing".into(), "testing".into())),
        }
    }
}

/// The SDK configuration from the environment (the Lambda and CLI default).
pub async fn load_sdk_config() -> SdkConfig {
    load_sdk_config_with(&AwsSettings::default()).await
}

/// The SDK configuration from the environment, overridden by `settings`.
pub async fn load_sdk_config_with(settings: &AwsSettings) -> SdkConfig {
    let https =
        HttpClientBuilder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https);
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint.clone());
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some((key, secret)) = &settings.static_credentials {
        loader = loader.credentials_provider(Credentials::new(
            key.clone(),
            secret.clone(),
            None,
            None,
            "streamlake-static",
        ));
    }
    loader.load().await
}

/// Whether S3 traffic goes to an endpoint override (shared or S3-specific).
pub fn has_s3_endpoint_override(config: &SdkConfig) -> bool {
    config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|value| !value.is_empty())
}

#[cfg(feature = "s3")]
/// An S3 client; path-style addressing when an endpoint override is set.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(has_s3_endpoint_override(config));
    aws_sdk_s3::Client::from_conf(builder.build())
}

#[cfg(feature = "firehose")]
/// A Firehose client.
pub fn firehose_client(config: &SdkConfig) -> aws_sdk_firehose::Client {
    aws_sdk_firehose::Client::new(config)
}

#[cfg(feature = "glue")]
/// A Glue client.
pub fn glue_client(config: &SdkConfig) -> aws_sdk_glue::Client {
    aws_sdk_glue::Client::new(config)
}

#[cfg(feature = "athena")]
/// An Athena client.
pub fn athena_client(config: &SdkConfig) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(config)
}
