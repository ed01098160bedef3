// Contracts generated from proto/ (npm run proto:gen → libs/contracts/src/generated). Never edit
// the generated files: change the .proto and regenerate.
export * from './proto-paths';
export * from './generated';
