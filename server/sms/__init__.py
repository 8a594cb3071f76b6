"""Reports by SMS when there is no data link (issue 17, ADR 0006): the codec, the commune's gateway, the webhook."""
