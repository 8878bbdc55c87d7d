//! # lambda-aws-e2e
//!
//! Holds only `tests/aws_mode.rs`: the four Lambda handlers chained over moto's real HTTP
//! APIs, the way AWS would chain them (see that file). No library code.
