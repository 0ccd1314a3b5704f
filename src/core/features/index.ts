export {
  computeSourceFeatures,
  featureVector,
  tokenKindVector,
  BINARY_FEATURES,
  SCALAR_FEATURES,
  type SourceFeatures,
  type BinaryFeature,
  type ScalarFeature,
  type FeatureName,
} from './sourceFeatures';
export { disposeFeatureParsers } from './grammars';
export { languageEntry, LANGUAGES, type GrammarName } from './languages';
export { TokenKind, TOKEN_KIND_NAMES, type TokenKindName, type TokenKindValue } from './tokenKind';
export { TAB_SIZE } from './featureBuilder';
export { CodePointOffsets } from './codePoints';
