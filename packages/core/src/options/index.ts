// The backend kit: declarative options and input roles (free of `node:` modules).
export {
  defineOptions,
  OptionSet,
  type OptionDescription,
  type OptionSetSettings,
  type OptionSource,
  type OptionSpec,
  type OptionSpecs,
  type OptionType,
  type OptionValue,
  type OptionValues,
  type OptionWhen,
  type ParsedOptions,
} from './spec.js';
export { metadataObject, readInputs, TEXT_INPUTS, type InputRole, type SortedInputs } from './inputs.js';
