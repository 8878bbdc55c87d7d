//! Entry point of the registrar Lambda: tracing, config, clients once, then the runtime.

use lambda_registrar::config::Config;
use lambda_registrar::handler::{handle_invocation, Deps, Invocation};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let config = Config::from_env()?;
    let deps = Deps::from_aws(config).await?;
    run(service_fn(|event: LambdaEvent<Invocation>| handle_invocation(event.payload, &deps))).await
}
