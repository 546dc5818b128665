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
}
