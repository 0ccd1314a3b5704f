import type { TokenKindName } from '../features/tokenKind';

/** What people call the ranked features (the Neurons view, the overlay's neuron picker). */
const FEATURE_NAMES: Record<string, string> = {
  inString: 'in a string',
  inComment: 'in a comment',
  depth: 'bracket depth',
  indent: 'indentation',
  column: 'column',
  lineLength: 'line length',
};

/** "in a string", "token: keyword". */
export function featureName(feature: string): string {
  return FEATURE_NAMES[feature] ?? feature.replace(/^token:/, 'token: ');
}

/** Token kinds ranked as binary features ("token:keyword"); strings and comments are ranked as inString and inComment. */
export const RANKED_TOKEN_KINDS: readonly TokenKindName[] = ['identifier', 'keyword', 'number', 'punctuation', 'whitespace'];

/** Every feature a neuron ranking scores, in the order it lists them. */
export const RANKED_FEATURES: readonly string[] = [
  'inString',
  'inComment',
  ...RANKED_TOKEN_KINDS.map((k) => `token:${k}`),
  'depth',
  'indent',
  'column',
  'lineLength',
];
