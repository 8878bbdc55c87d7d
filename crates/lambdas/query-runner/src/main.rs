//! Entry point of the query-runner Lambda: tracing, config, clients once, then the runtime.

use lambda_query_runner::config::Config;
use lambda_query_runner::handler::{handle, Deps, QueryRequest};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let config = Config::from_env()?;
    let deps = Deps::from_aws(config).await?;
    run(service_fn(|event: LambdaEvent<QueryRequest>| handle(event, &deps))).await
}
