// A fake GitHub REST API (pull requests, reviews, contents) enforcing the review API's 422 rules,
// and GitHub-signed webhook deliveries, for integration-hub's and code-assistant's tests.
export * from './fake-github';
export * from './github-webhook';
