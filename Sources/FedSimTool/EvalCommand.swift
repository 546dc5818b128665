import ArgumentParser
import Foundation
import Learning

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Mean next-token loss and perplexity of a model (and adapter) over a text file.",
    discussion: """
      Tokens are the file's bytes (byte b is id b; no BOS is inserted). With N = --context, window k \
      has inputs tokens[kN ..< kN+N] and targets tokens[kN+1 ..< kN+N+1] for k = 0 ..< (count − 1) / N; \
      the loss is the mean over all predicted tokens.
      """)

  @Option(help: "Model directory: a FedSim checkpoint or a Hugging Face Llama directory (config.json + model.safetensors).")
  var model: String
  @Option(help: "PEFT adapter directory (adapter_config.json + adapter_model.safetensors).") var adapter: String?
  @Option(help: "Text file to evaluate.") var text: String
  @Option(help: "Window length (default: the model's context).") var context: Int?
  @Option(name: .customLong("batch-size"), help: "Windows per forward pass.") var batchSize: Int = 16
  @Option(help: "BLAS threads.") var threads: Int = 1
  @Flag(
    help: "Print {\"loss\", \"perplexity\", \"tokens\", \"accuracy\"} as JSON (a non-finite value is null, with \"non_finite\" saying why)."
  )
  var json = false

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
  }

  func run() throws {
    BLAS.threads = threads
    let (config, weights) = try ModelCheckpoint.load(from: URL(fileURLWithPath: model))
    let loaded = try adapter.map { try AdapterCheckpoint.load(from: URL(fileURLWithPath: $0), model: config) }
    let length = context ?? config.contextLength
    guard length > 0 && length <= config.contextLength else {
      throw ValidationError("--context must be in 1...\(config.contextLength) (the model's max_position_embeddings), got \(length)")
    }
    let tokens = try readByteTokens(text, option: "--text")
    guard config.vocabSize >= 256 else {
      throw ValidationError("--model: vocab_size \(config.vocabSize) cannot hold byte tokens (needs at least 256)")
    }
    let windows = TokenWindows(tokens: tokens, length: length)
    guard windows.evaluationWindowCount > 0 else {
      throw ValidationError("--text \(text): \(tokens.count) bytes, fewer than one window of \(length) + 1")
    }
    let lm = try DecoderLM(config: config)
    let loss = try evaluateLoss(model: lm, weights: weights, adapter: loaded, windows: windows, batchSize: batchSize)
    if json {
      print(loss.json)
    } else {
      print(
        String(
          format: "loss %.6f  perplexity %.4f  tokens %d  windows %d×%d", loss.mean, loss.perplexity, loss.tokens,
          windows.evaluationWindowCount, length))
    }
  }
}
