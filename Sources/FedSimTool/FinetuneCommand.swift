import ArgumentParser
import Foundation
import Learning

struct FinetuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune",
    abstract: "Fine-tune a LoRA adapter on a text file over a frozen base; save it in PEFT layout.")

  @Option(help: "Base model directory (FedSim checkpoint or Hugging Face Llama).") var model: String
  @Option(help: "Text to fine-tune on (bytes are tokens).") var text: String
  @Option(help: "Output adapter directory (an existing one is refused unless --force).") var out: String
  @Flag(help: "Replace the adapter files in an existing --out directory.") var force = false
  @Option(help: "LoRA rank.") var rank: Int = 8
  @Option(help: "LoRA alpha.") var alpha: Float = 16
  @Flag(help: "Scale by alpha/√r (rsLoRA) instead of alpha/r.") var rslora = false
  @Option(help: "Dropout on the adapter input.") var dropout: Float = 0
  @Option(help: "Projections with adapters: 'all' or a list such as q_proj,v_proj.") var targets: String = "all"
  @OptionGroup var training: TrainingArguments

  func run() throws {
    BLAS.threads = training.threads
    try refuseExisting(out, force: force)
    let (config, weights) = try ModelCheckpoint.load(from: URL(fileURLWithPath: model))
    let lm = try DecoderLM(config: config)
    let lora = LoRAConfig(rank: rank, alpha: alpha, useRSLoRA: rslora, dropout: dropout, targets: try parseTargets(targets))
    try lora.validate()
    let adapter = Adapter(config: lora, model: config, seed: training.seed)
    let tokens = try readByteTokens(text, option: "--text")
    let (train, validation) = splitTail(tokens, fraction: training.validationFraction)
    let options = try training.options(context: config.contextLength)
    let trainWindows = TokenWindows(tokens: train, length: options.sequenceLength)
    guard trainWindows.canSample else {
      throw ValidationError("--text \(text): \(train.count) training bytes, fewer than one window of \(options.sequenceLength) + 1")
    }
    let validationWindows = TokenWindows(tokens: validation, length: options.sequenceLength)
    let trainer = try Trainer(model: lm, weights: weights, adapter: adapter, options: options)
    if validationWindows.evaluationWindowCount > 0 {
      let before = try evaluateLoss(model: lm, weights: weights, adapter: adapter, windows: validationWindows)
      log(String(format: "before fine-tuning: val loss %.4f  ppl %.2f", before.mean, before.perplexity))
    }
    log(
      "fine-tuning \(compact(Double(adapter.parameters.layout.totalCount))) adapter parameters (r=\(rank), \(lora.orderedTargets.count) projections) on \(compact(Double(train.count))) tokens"
    )
    try runTraining(trainer, train: trainWindows, validation: validationWindows, arguments: training)
    try AdapterCheckpoint.save(adapter, to: URL(fileURLWithPath: out), baseModel: model)
    log("saved \(out)/adapter_config.json and \(out)/adapter_model.safetensors")
  }
}
