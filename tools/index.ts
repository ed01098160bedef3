// @aether/tools: the workspace's Nx plugin (generators.json) and its generators as functions.
export { default as serviceGenerator, type ServiceGeneratorOptions } from './generators/service/service';
