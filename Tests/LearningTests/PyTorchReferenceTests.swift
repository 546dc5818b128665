import Foundation
import Randomness
import Testing

@testable import Learning

/// Cross-checks against Hugging Face `LlamaForCausalLM` + PEFT (fixtures made by
/// Tools/reference/make_llama_fixtures.py): logits, losses and gradients to 1e-4 relative.
@Suite struct PyTorchReferenceTests {
  struct Case {
    let directory: URL
    let config: ModelConfig
    let weights: ParameterSet
    let expected: SafetensorsFile
    let tokens: [Int32]
    let targets: [Int32]
    let batch: Int
    let sequence: Int

    init(_ name: String) throws {
      directory = fixtureURL(name)
      (config, weights) = try ModelCheckpoint.load(from: directory)
      expected = try SafetensorsFile(contentsOf: directory.appendingPathComponent("expected.safetensors"))
      tokens = try expected.integers("input_ids").map { Int32($0) }
      targets = try expected.integers("labels").map { Int32($0) }
      let shape = expected.tensors["input_ids"]!.shape
      (batch, sequence) = (shape[0], shape[1])
    }

    func logitsAndLoss(adapter: Adapter?) throws -> ([Float], Double) {
      let model = try DecoderLM(config: config)
      let workspace = Workspace(config: config, lora: adapter?.config, batchSize: batch, sequenceLength: sequence)
      return try withBatch(tokens, targets) { t, y in
        try model.forward(weights: weights, adapter: adapter, tokens: t, targets: nil, workspace: workspace)
        let logits = Array(UnsafeBufferPointer(start: workspace.logits, count: batch * sequence * config.vocabSize))
        let loss = try model.forward(weights: weights, adapter: adapter, tokens: t, targets: y, workspace: workspace)
        return (logits, loss.mean)
      }
    }
  }

  @Test(arguments: ["tiny-llama", "tiny-llama-tied"])
  func baseLogitsAndLoss(fixture: String) throws {
    let c = try Case(fixture)
    let (logits, loss) = try c.logitsAndLoss(adapter: nil)
    #expect(maxRelativeError(logits, try c.expected.floats("logits_base")) < 1e-4)
    let reference = Double(try c.expected.floats("loss_base")[0])
    #expect(abs(loss - reference) / reference < 1e-4)
  }

  @Test(arguments: [("tiny-llama", "adapter", "lora"), ("tiny-llama-tied", "adapter", "lora"), ("tiny-llama", "adapter-rslora", "rslora")])
  func adaptedLogitsAndLoss(fixture: String, adapterFolder: String, key: String) throws {
    let c = try Case(fixture)
    let adapter = try AdapterCheckpoint.load(from: c.directory.appendingPathComponent(adapterFolder), model: c.config)
    let (logits, loss) = try c.logitsAndLoss(adapter: adapter)
    #expect(maxRelativeError(logits, try c.expected.floats("logits_\(key)")) < 1e-4)
    let reference = Double(try c.expected.floats("loss_\(key)")[0])
    #expect(abs(loss - reference) / reference < 1e-4)
  }

  @Test(arguments: ["tiny-llama", "tiny-llama-tied"])
  func loraGradients(fixture: String) throws {
    let c = try Case(fixture)
    let adapter = try AdapterCheckpoint.load(from: c.directory.appendingPathComponent("adapter"), model: c.config)
    let model = try DecoderLM(config: c.config)
    let workspace = Workspace(config: c.config, lora: adapter.config, batchSize: c.batch, sequenceLength: c.sequence)
    let gradients = ParameterSet(layout: adapter.parameters.layout)
    let before = c.weights.storage.toArray()
    var stream = RandomStream(seed: 0, purpose: .dropout)
    let loss = try withBatch(c.tokens, c.targets) { t, y in
      try model.forwardBackward(
        weights: c.weights, adapter: adapter, tokens: t, targets: y, workspace: workspace,
        gradients: .init(adapter: gradients), dropoutStream: &stream)
    }
    let reference = Double(try c.expected.floats("loss_lora")[0])
    #expect(abs(loss.mean - reference) / reference < 1e-4)
    for entry in gradients.layout.entries {
      let error = maxRelativeError(gradients.values(entry.name), try c.expected.floats("grad_lora.\(entry.name)"))
      #expect(error < 1e-4, "\(entry.name): relative error \(error)")
    }
    // LoRA training never writes to the frozen base.
    #expect(c.weights.storage.toArray() == before)
  }

  @Test(arguments: ["tiny-llama", "tiny-llama-tied"])
  func fullParameterGradients(fixture: String) throws {
    let c = try Case(fixture)
    let model = try DecoderLM(config: c.config)
    let workspace = Workspace(config: c.config, lora: nil, batchSize: c.batch, sequenceLength: c.sequence)
    let gradients = ParameterSet(layout: c.weights.layout)
    var stream = RandomStream(seed: 0, purpose: .dropout)
    _ = try withBatch(c.tokens, c.targets) { t, y in
      try model.forwardBackward(
        weights: c.weights, adapter: nil, tokens: t, targets: y, workspace: workspace,
        gradients: .init(base: gradients), dropoutStream: &stream)
    }
    for entry in gradients.layout.entries {
      let error = maxRelativeError(gradients.values(entry.name), try c.expected.floats("grad_full.\(entry.name)"))
      #expect(error < 1e-4, "\(entry.name): relative error \(error)")
    }
  }

  /// The mixture-of-experts MLP (CoMiGS) against an independent PyTorch autograd implementation
  /// (Tools/reference/make_mixture_fixtures.py): E = 3 experts with LoRA on gate/up/down, top-2
  /// routing, load balancing with λ = 0.05, LoRA on q and v; logits, loss and every gradient.
  @Test func mixtureOfExpertsAgainstPyTorch() throws {
    let c = try Case("tiny-llama")
    let file = try SafetensorsFile(contentsOf: c.directory.appendingPathComponent("mixture.safetensors"))
    let expected = try SafetensorsFile(contentsOf: c.directory.appendingPathComponent("mixture-expected.safetensors"))
    let lora = LoRAConfig(
      rank: 4, alpha: 8, targets: [.q, .v, .gate, .up, .down],
      mixture: MixtureConfig(experts: 3, generalists: 1, topK: 2, importance: 0.5, balanceWeight: 0.05))
    let adapter = Adapter(config: lora, parameters: ParameterSet(layout: .lora(lora, model: c.config)))
    #expect(Set(adapter.parameters.layout.names) == Set(file.tensors.keys))
    for name in adapter.parameters.layout.names { adapter.parameters.buffer(name).update(fromContentsOf: try file.floats(name)) }
    let model = try DecoderLM(config: c.config)
    let workspace = Workspace(config: c.config, lora: lora, batchSize: c.batch, sequenceLength: c.sequence)
    let gradients = ParameterSet(layout: adapter.parameters.layout)
    var stream = RandomStream(seed: 0, purpose: .dropout)
    let ce = try withBatch(c.tokens, c.targets) { t, y in
      try model.forwardBackward(
        weights: c.weights, adapter: adapter, tokens: t, targets: y, workspace: workspace, gradients: .init(adapter: gradients),
        dropoutStream: &stream)
    }
    let reference = Double(try expected.floats("loss")[0])
    #expect(abs(ce.mean + workspace.balanceLoss - reference) / reference < 1e-4)
    #expect(abs(workspace.balanceLoss - Double(try expected.floats("balance")[0])) < 1e-6)
    for entry in gradients.layout.entries {
      let error = maxRelativeError(gradients.values(entry.name), try expected.floats("grad/\(entry.name)"))
      #expect(error < 1e-4, "\(entry.name): relative error \(error)")
    }
    let inference = Workspace(config: c.config, lora: lora, batchSize: c.batch, sequenceLength: c.sequence, keepsActivations: false)
    try withBatch(c.tokens, c.targets) { t, _ in
      try model.forward(weights: c.weights, adapter: adapter, tokens: t, targets: nil, workspace: inference)
    }
    let logits = Array(UnsafeBufferPointer(start: inference.logits, count: c.batch * c.sequence * c.config.vocabSize))
    #expect(maxRelativeError(logits, try expected.floats("logits")) < 1e-4)
  }
}
