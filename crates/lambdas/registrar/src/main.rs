//! Entry point of the registrar Lambda: tracing, config, clients once, then the runtime.

use aws_lambda_events::event::s3::S3Event;
use lambda_registrar::config::Config;
use lambda_registrar::handler::{handle, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let config = Config::from_env()?;
    let deps = Deps::from_aws(config).await?;
    run(service_fn(|event: LambdaEvent<S3Event>| handle(event.payload, &deps))).await
}
