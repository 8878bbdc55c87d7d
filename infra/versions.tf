terraform {
  # 1.6 brought `terraform test`; the tests in tests/ use mock_provider (1.7+) and
  # override_during (1.11+), but the configuration itself applies with any 1.6+.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(
      {
        Project   = "StreamLake"
        ManagedBy = "Terraform"
      },
      var.tags,
    )
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}
