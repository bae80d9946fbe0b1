/**
 * A function's answers kept by key, for the few distinct inputs a gateway sees over and over (the Bedrock URLs: one
 * per model, operation and region). Past `max` keys everything is dropped and filled again, which bounds the memory
 * whatever the inputs.
 */
export function boundedMemo<A, V>(max: number, keyOf: (arg: A) => string, compute: (arg: A) => V): (arg: A) => V {
  const answers = new Map<string, V>();
  return (arg) => {
    const key = keyOf(arg);
    let v = answers.get(key);
    if (v === undefined) {
      if (answers.size >= max) answers.clear();
      v = compute(arg);
      answers.set(key, v);
    }
    return v;
  };
}
