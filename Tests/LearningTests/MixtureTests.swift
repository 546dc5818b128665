import Foundation
import Randomness
import Testing

@testable import Learning

/// The mixture-of-experts MLP of CoMiGS: gradients of experts and router against finite
/// differences, load balancing against the reference's values, and the model it reduces to.
@Suite struct MixtureTests {
  static let config = ModelGradientTests.config

  /// An adapter with every B and the routers randomised (B = 0 would hide A's and the router's
  /// gradients: all experts would be the base MLP).
  func adapter(_ lora: LoRAConfig, seed: UInt64) -> Adapter {
    let adapter = Adapter(config: lora, model: Self.config, seed: seed)
    var stream = RandomStream(seed: seed + 100, purpose: .data)
    for entry in adapter.parameters.layout.entries where entry.name.hasSuffix("lora_B.weight") || entry.name.hasSuffix("router.weight") {
      for i in entry.offset..<(entry.offset + entry.count) { adapter.parameters.storage.pointer[i] = Float(stream.nextGaussian()) * 0.5 }
    }
    return adapter
  }

  func loss(
    model: DecoderLM, weights: ParameterSet, adapter: Adapter, workspace: Workspace, tokens: [Int32], targets: [Int32],
    gradients: ParameterSet?
  ) -> Double {
    var dropoutStream = RandomStream(seed: 5, purpose: .dropout)
    let ce = try! withBatch(tokens, targets) { t, y in
      try model.forwardBackward(
        weights: weights, adapter: adapter, tokens: t, targets: y, workspace: workspace,
        gradients: .init(adapter: gradients ?? ParameterSet(layout: adapter.parameters.layout)), dropoutStream: &dropoutStream)
    }.mean
    return ce + workspace.balanceLoss
  }

  @Test(arguments: [
    MixtureConfig(experts: 2), MixtureConfig(experts: 3, topK: 2, balanceWeight: 0.5),
    MixtureConfig(experts: 4, topK: 1, balanceWeight: 0.3),
  ])
  func expertAndRouterGradientsMatchFiniteDifferences(mixture: MixtureConfig) throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let lora = LoRAConfig(rank: 2, alpha: 4, mixture: mixture)
    try lora.validate()
    let adapter = adapter(lora, seed: 2)
    let (tokens, targets) = ModelGradientTests().batch(seed: 4)
    let workspace = Workspace(config: Self.config, lora: lora, batchSize: 2, sequenceLength: 8)
    let gradients = ParameterSet(layout: adapter.parameters.layout)
    _ = loss(model: model, weights: weights, adapter: adapter, workspace: workspace, tokens: tokens, targets: targets, gradients: gradients)
    let entries = ModelGradientTests().sampleEntries(adapter.parameters.layout, perTensor: 3, seed: 6)
    let error = GradientCheck(epsilon: 2e-3).worstError(
      values: adapter.parameters.storage.pointer, count: adapter.parameters.storage.count, analytic: gradients.storage.toArray(),
      entries: entries
    ) { loss(model: model, weights: weights, adapter: adapter, workspace: workspace, tokens: tokens, targets: targets, gradients: nil) }
    #expect(error < 1e-2, "\(mixture)")
    // Every tensor gets a gradient: experts, attention LoRA and routers.
    for entry in adapter.parameters.layout.entries {
      let g = gradients.values(entry.name)
      #expect(g.contains { $0 != 0 }, "\(entry.name) has no gradient")
    }
  }

  @Test func gradientsWithDropoutMatchFiniteDifferences() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0.2, mixture: MixtureConfig(experts: 2))
    let adapter = adapter(lora, seed: 7)
    let (tokens, targets) = ModelGradientTests().batch(seed: 8)
    let workspace = Workspace(config: Self.config, lora: lora, batchSize: 2, sequenceLength: 8)
    let gradients = ParameterSet(layout: adapter.parameters.layout)
    _ = loss(model: model, weights: weights, adapter: adapter, workspace: workspace, tokens: tokens, targets: targets, gradients: gradients)
    let error = GradientCheck(epsilon: 2e-3).worstError(
      values: adapter.parameters.storage.pointer, count: adapter.parameters.storage.count, analytic: gradients.storage.toArray(),
      entries: ModelGradientTests().sampleEntries(adapter.parameters.layout, perTensor: 2, seed: 9)
    ) { loss(model: model, weights: weights, adapter: adapter, workspace: workspace, tokens: tokens, targets: targets, gradients: nil) }
    #expect(error < 1e-2)
  }

  /// E = k = 2: the balance loss is exactly 1 (times λ) and has no gradient.
  @Test func loadBalancingIsConstantForTwoExpertsWithDenseRouting() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let mixture = MixtureConfig(experts: 2, balanceWeight: 1)
    let lora = LoRAConfig(rank: 2, alpha: 4, targets: [.gate, .up, .down], mixture: mixture)
    let adapter = adapter(lora, seed: 3)
    let (tokens, targets) = ModelGradientTests().batch(seed: 4)
    let workspace = Workspace(config: Self.config, lora: lora, batchSize: 2, sequenceLength: 8)
    let with = ParameterSet(layout: adapter.parameters.layout)
    _ = loss(model: model, weights: weights, adapter: adapter, workspace: workspace, tokens: tokens, targets: targets, gradients: with)
    #expect(abs(workspace.balanceLoss - 1) < 1e-6)
    // The router's gradient is the same with λ = 0.
    let withoutBalance = LoRAConfig(rank: 2, alpha: 4, targets: [.gate, .up, .down], mixture: MixtureConfig(experts: 2, balanceWeight: 0))
    let plain = Adapter(
      config: withoutBalance,
      parameters: ParameterSet(layout: .lora(withoutBalance, model: Self.config), storage: adapter.parameters.storage.copy()))
    let without = ParameterSet(layout: plain.parameters.layout)
    let workspace2 = Workspace(config: Self.config, lora: withoutBalance, batchSize: 2, sequenceLength: 8)
    _ = loss(model: model, weights: weights, adapter: plain, workspace: workspace2, tokens: tokens, targets: targets, gradients: without)
    let a = with.values(MixtureNames.router(0)), b = without.values(MixtureNames.router(0))
    #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
  }

  /// A client with fewer specialists: a layout of E = 4 used with 3 active experts computes
  /// exactly what an E = 3 adapter with the same tensors computes, and its gradients match finite
  /// differences, with none on the inactive expert.
  @Test func fewerActiveExpertsAreExactlyASmallerMixture() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let large = LoRAConfig(
      rank: 2, alpha: 4, targets: [.q, .gate, .up, .down], mixture: MixtureConfig(experts: 4, topK: 2, balanceWeight: 0.2))
    let small = LoRAConfig(
      rank: 2, alpha: 4, targets: [.q, .gate, .up, .down], mixture: MixtureConfig(experts: 3, topK: 2, balanceWeight: 0.2))
    var wide = adapter(large, seed: 11)
    wide.activeExperts = 3
    let narrow = Adapter(config: small, parameters: ParameterSet(layout: .lora(small, model: Self.config)))
    for name in narrow.parameters.layout.names where !MixtureNames.isRouter(name) {
      narrow.parameters.buffer(name).update(fromContentsOf: wide.parameters.buffer(name))
    }
    for layer in 0..<Self.config.layers {
      let router = MixtureNames.router(layer)
      narrow.parameters.buffer(router).update(fromContentsOf: Array(wide.parameters.values(router).prefix(3 * Self.config.dim)))
    }
    let (tokens, targets) = ModelGradientTests().batch(seed: 12)
    let wideSpace = Workspace(config: Self.config, lora: large, batchSize: 2, sequenceLength: 8)
    let narrowSpace = Workspace(config: Self.config, lora: small, batchSize: 2, sequenceLength: 8)
    let wideGradients = ParameterSet(layout: wide.parameters.layout), narrowGradients = ParameterSet(layout: narrow.parameters.layout)
    let a = loss(
      model: model, weights: weights, adapter: wide, workspace: wideSpace, tokens: tokens, targets: targets, gradients: wideGradients)
    let b = loss(
      model: model, weights: weights, adapter: narrow, workspace: narrowSpace, tokens: tokens, targets: targets, gradients: narrowGradients)
    #expect(a == b)
    for name in narrow.parameters.layout.names where !MixtureNames.isRouter(name) {
      #expect(wideGradients.values(name) == narrowGradients.values(name), "\(name)")
    }
    let inactive = wide.parameters.layout.names.filter { $0.contains(".mlp.specialists.2.") }
    #expect(!inactive.isEmpty && inactive.allSatisfy { wideGradients.values($0).allSatisfy { $0 == 0 } })
    let error = GradientCheck(epsilon: 2e-3).worstError(
      values: wide.parameters.storage.pointer, count: wide.parameters.storage.count, analytic: wideGradients.storage.toArray(),
      entries: ModelGradientTests().sampleEntries(wide.parameters.layout, perTensor: 2, seed: 13)
    ) { loss(model: model, weights: weights, adapter: wide, workspace: wideSpace, tokens: tokens, targets: targets, gradients: nil) }
    #expect(error < 1e-2)
  }

  @Test func importanceFactorsFollowTheReference() {
    #expect(MixtureConfig(experts: 4, generalists: 1, importance: 0.5).importanceFactors == [0.5, 1.5, 1.5, 1.5])
    #expect(MixtureConfig(experts: 2).importanceFactors == [1, 1])
    #expect(MixtureConfig(experts: 2).topK == 2 && MixtureConfig(experts: 4).topK == 2 && MixtureConfig(experts: 1).topK == 1)
  }

  /// With a fresh adapter (B = 0) every expert is the base MLP and the gates sum to one, so the
  /// mixture computes exactly the plain adapter with the same attention LoRA.
  @Test func aFreshMixtureComputesTheBaseMLP() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let mixed = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v, .gate, .down], mixture: MixtureConfig(experts: 3))
    let plain = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v])
    let adapterMixed = Adapter(config: mixed, model: Self.config, seed: 2)
    let adapterPlain = Adapter(config: plain, model: Self.config, seed: 2)
    // The same attention LoRA in both.
    for name in adapterPlain.parameters.layout.names {
      adapterMixed.parameters.buffer(name).update(fromContentsOf: adapterPlain.parameters.buffer(name))
    }
    let (tokens, targets) = ModelGradientTests().batch(seed: 4)
    func evaluate(_ adapter: Adapter, _ lora: LoRAConfig) -> Double {
      let workspace = Workspace(config: Self.config, lora: lora, batchSize: 2, sequenceLength: 8, keepsActivations: false)
      return try! withBatch(tokens, targets) { t, y in
        try model.forward(weights: weights, adapter: adapter, tokens: t, targets: y, workspace: workspace)
      }.mean
    }
    let a = evaluate(adapterMixed, mixed), b = evaluate(adapterPlain, plain)
    #expect(abs(a - b) < 1e-5 * abs(b), "\(a) vs \(b)")
  }

  @Test func mixtureLayoutNamesAndValidation() throws {
    let lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .gate, .up, .down], mixture: MixtureConfig(experts: 2, generalists: 1))
    let layout = ParameterLayout.lora(lora, model: Self.config)
    #expect(layout.names.contains("base_model.model.model.layers.1.mlp.specialists.0.down_proj.lora_B.weight"))
    #expect(layout.names.contains("base_model.model.model.layers.1.mlp.generalists.0.up_proj.lora_A.weight"))
    #expect(layout.names.contains("base_model.model.model.layers.0.mlp.router.weight"))
    #expect(layout["base_model.model.model.layers.0.mlp.router.weight"]?.shape == [2, Self.config.dim])
    #expect(!layout.names.contains(LoRANames.a(0, .gate)))
    #expect(MixtureNames.isGeneralist(MixtureNames.a(0, expert: 0, .gate, lora.mixture!)))
    #expect(MixtureNames.isSpecialist(MixtureNames.a(0, expert: 1, .gate, lora.mixture!)))
    #expect(MixtureNames.isRouter(MixtureNames.router(3)))
    #expect(throws: ModelError.self) { try LoRAConfig(targets: [.q], mixture: MixtureConfig()).validate() }
    #expect(throws: ModelError.self) { try LoRAConfig(mixture: MixtureConfig(experts: 2, generalists: 3)).validate() }
  }
}
