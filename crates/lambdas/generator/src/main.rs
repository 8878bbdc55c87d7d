//! Entry point of the generator Lambda: tracing, config, clients once, then the runtime.

use lambda_generator::config::Config;
use lambda_generator::handler::{handle, Deps, GenerateRequest};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let config = Config::from_env()?;
    let deps = Deps::from_aws(config).await?;
    run(service_fn(|event: LambdaEvent<GenerateRequest>| handle(event, &deps))).await
}
