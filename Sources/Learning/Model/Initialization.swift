import Randomness

extension ParameterSet {
  /// Freshly initialised base weights, as `LlamaForCausalLM` initialises them: every matrix and
  /// the embedding ~ N(0, std²) (HF `initializer_range`, 0.02), norm gains = 1.
  public static func llama(_ config: ModelConfig, seed: UInt64, std: Float = 0.02) -> ParameterSet {
    let parameters = ParameterSet(layout: .llama(config))
    var stream = RandomStream(seed: seed, purpose: .weightInit)
    for entry in parameters.layout.entries {
      let values = parameters.buffer(entry.name)
      if entry.shape.count == 1 {
        values.update(repeating: 1)
      } else {
        for i in values.indices { values[i] = Float(stream.nextGaussian()) * std }
      }
    }
    return parameters
  }
}
