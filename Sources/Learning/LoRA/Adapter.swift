import Randomness

/// A LoRA adapter: its settings and its A/B matrices in one flat parameter set (PEFT names).
public struct Adapter: Sendable {
  public let config: LoRAConfig
  public let parameters: ParameterSet
  /// A mixture adapter used with only its first `activeExperts` experts (a client with fewer
  /// specialists than the layout holds: system heterogeneity); nil uses them all. The others are
  /// never routed to, computed or trained.
  public var activeExperts: Int? = nil

  public init(config: LoRAConfig, parameters: ParameterSet) {
    self.config = config
    self.parameters = parameters
  }

  /// A freshly initialised adapter, as PEFT initialises one: A ~ Kaiming-uniform with a = √5
  /// (bound 1/√in, as `nn.Linear` does), B = 0, so the adapted model starts equal to the base
  /// (a mixture's experts all equal the base MLP, and their gate weights sum to one); routers
  /// N(0, 0.02²).
  public init(config: LoRAConfig, model: ModelConfig, seed: UInt64, client: UInt32 = 0) {
    self.config = config
    parameters = ParameterSet(layout: .lora(config, model: model))
    var stream = RandomStream(seed: seed, purpose: .adapterInit, client: client)
    for entry in parameters.layout.entries where entry.name.hasSuffix("lora_A.weight") {
      let fanIn = entry.shape[1]
      let bound = 1 / Float(fanIn).squareRoot()
      let values = parameters.buffer(entry.name)
      for i in values.indices { values[i] = (2 * stream.nextFloat() - 1) * bound }
    }
    // Routers: N(0, 0.02²), as the reference initialises them (a stream of their own, so plain
    // adapters draw exactly what they did before mixtures existed).
    var routerStream = RandomStream(seed: seed, purpose: .adapterInit, client: client, round: 1)
    for entry in parameters.layout.entries where entry.name.hasSuffix("mlp.router.weight") {
      let values = parameters.buffer(entry.name)
      for i in values.indices { values[i] = Float(0.02 * routerStream.nextGaussian()) }
    }
  }
}
