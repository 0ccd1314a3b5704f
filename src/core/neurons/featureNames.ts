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
