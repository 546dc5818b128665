import ArgumentParser
import Foundation
import Learning

struct PretrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pretrain",
    abstract: "Train a base model (all parameters) on a text corpus and save it as config.json + model.safetensors.")

  @Option(help: "Text corpus (bytes are tokens).") var corpus: String
  @Option(help: "Output directory (an existing one is refused unless --force).") var out: String
  @Flag(help: "Replace the model files in an existing --out directory.") var force = false
  @Option(help: "Model size: nano, micro or mini (overridable below).") var config: String = "nano"
  @Option(help: "Override the width.") var dim: Int?
  @Option(help: "Override the number of blocks.") var layers: Int?
  @Option(help: "Override the number of heads.") var heads: Int?
  @Option(name: .customLong("kv-heads"), help: "Override the number of key/value heads.") var kvHeads: Int?
  @Option(name: .customLong("ffn-dim"), help: "Override the MLP width.") var ffnDim: Int?
  @Option(help: "Override the context length.") var context: Int?
  @Flag(name: .customLong("tied"), help: "Tie the LM head to the embedding.") var tied = false
  @OptionGroup var training: TrainingArguments

  func run() throws {
    BLAS.threads = training.threads
    try refuseExisting(out, force: force)
    guard var modelConfig = ModelConfig.presets[config] else {
      throw ValidationError(
        "--config: unknown model '\(config)', expected one of \(ModelConfig.presets.keys.sorted().joined(separator: ", "))")
    }
    if let dim { modelConfig.dim = dim }
    if let layers { modelConfig.layers = layers }
    if let heads {
      modelConfig.heads = heads
      modelConfig.kvHeads = kvHeads ?? heads
    }
    if let kvHeads { modelConfig.kvHeads = kvHeads }
    if let ffnDim { modelConfig.ffnDim = ffnDim }
    if let context { modelConfig.contextLength = context }
    modelConfig.tiedEmbeddings = tied
    let model = try DecoderLM(config: modelConfig)
    let tokens = try readByteTokens(corpus, option: "--corpus")
    let (train, validation) = splitTail(tokens, fraction: training.validationFraction)
    let options = try training.options(context: modelConfig.contextLength)
    let trainWindows = TokenWindows(tokens: train, length: options.sequenceLength)
    guard trainWindows.canSample else {
      throw ValidationError("--corpus \(corpus): \(train.count) training bytes, fewer than one window of \(options.sequenceLength) + 1")
    }
    let weights = ParameterSet.llama(modelConfig, seed: training.seed)
    let trainer = try Trainer(model: model, weights: weights, adapter: nil, options: options)
    log(
      "pretraining \(compact(Double(modelConfig.parameterCount))) parameters on \(compact(Double(train.count))) tokens (\(compact(Double(validation.count))) held out)"
    )
    try runTraining(
      trainer, train: trainWindows, validation: TokenWindows(tokens: validation, length: options.sequenceLength),
      arguments: training)
    try ModelCheckpoint.save(
      config: modelConfig, weights: weights, to: URL(fileURLWithPath: out),
      metadata: ["fedsim.corpus": URL(fileURLWithPath: corpus).lastPathComponent, "fedsim.steps": "\(training.steps)"])
    log("saved \(out)/config.json and \(out)/model.safetensors")
  }
}
