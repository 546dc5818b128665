import ArgumentParser
import Foundation
import Learning

/// Reads a text file as byte tokens, with an error that names the file.
func readByteTokens(_ path: String, option: String) throws -> [Int32] {
  guard FileManager.default.fileExists(atPath: path) else {
    throw ValidationError("\(option) \(path): no such file")
  }
  guard let data = FileManager.default.contents(atPath: path) else {
    throw ValidationError("\(option) \(path): cannot read the file")
  }
  return ByteTokenizer().encode(data)
}

/// Splits tokens into a training part and a held-out tail.
func splitTail(_ tokens: [Int32], fraction: Double) -> (train: [Int32], validation: [Int32]) {
  let held = Int((Double(tokens.count) * fraction).rounded())
  return (Array(tokens.dropLast(held)), Array(tokens.suffix(held)))
}

/// Parses "q_proj,v_proj" (or "all") into projections.
func parseTargets(_ text: String) throws -> Set<Projection> {
  if text == "all" { return Set(Projection.allCases) }
  var result = Set<Projection>()
  for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
    guard let projection = Projection(rawValue: name) else {
      throw ValidationError(
        "--targets: unknown module '\(name)', expected 'all' or names among \(Projection.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    result.insert(projection)
  }
  guard !result.isEmpty else { throw ValidationError("--targets: empty list") }
  return result
}

/// Formats a number of tokens or parameters compactly (12.3k, 4.5M).
func compact(_ value: Double) -> String {
  switch abs(value) {
  case 1e9...: return String(format: "%.2fG", value / 1e9)
  case 1e6...: return String(format: "%.2fM", value / 1e6)
  case 1e3...: return String(format: "%.1fk", value / 1e3)
  default: return String(format: "%.0f", value)
  }
}

/// Seconds since an arbitrary origin, for wall-clock timing.
func wallClock() -> Double {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// Writes a line to standard error.
func log(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Options shared by the training commands.
struct TrainingArguments: ParsableArguments {
  @Option(help: "Optimiser steps.") var steps: Int = 200
  @Option(name: .customLong("batch-size"), help: "Sequences per step.") var batchSize: Int = 16
  @Option(name: .customLong("sequence-length"), help: "Tokens per sequence (default: the model's context).")
  var sequenceLength: Int?
  @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Float = 1e-3
  @Option(help: "Learning-rate schedule: constant, cosine (linear warm-up + cosine) or one-cycle.")
  var schedule: String = "cosine"
  @Option(name: .customLong("warmup"), help: "Warm-up steps of the cosine schedule.") var warmupSteps: Int = 20
  @Option(help: "Optimiser: adamw or sgd.") var optimizer: String = "adamw"
  @Option(name: .customLong("weight-decay"), help: "Weight decay (AdamW: decoupled; SGD: L2).") var weightDecay: Float = 0.01
  @Option(help: "SGD momentum.") var momentum: Float = 0.9
  @Option(name: .customLong("clip"), help: "Clip the global gradient norm (0: off).") var gradientClip: Float = 1
  @Option(name: .customLong("validation-fraction"), help: "Tail of the text held out for validation.")
  var validationFraction: Double = 0.1
  @Option(name: .customLong("eval-every"), help: "Evaluate on the held-out text every N steps (0: only at the end).")
  var evalEvery: Int = 0
  @Option(help: "Random seed.") var seed: UInt64 = 0
  @Option(help: "BLAS threads.") var threads: Int = 1

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    guard learningRate.isFinite && learningRate > 0 else { throw ValidationError("--lr must be a positive number, got \(learningRate)") }
    for (flag, value) in [("--weight-decay", weightDecay), ("--momentum", momentum), ("--clip", gradientClip)]
    where !(value.isFinite && value >= 0) {
      throw ValidationError("\(flag) must be a finite number ≥ 0, got \(value)")
    }
    guard momentum < 1 else { throw ValidationError("--momentum must be below 1, got \(momentum)") }
    guard (0..<1).contains(validationFraction) else {
      throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
    }
    guard LearningRateSchedule.names.contains(schedule) else {
      throw ValidationError("--schedule: unknown schedule '\(schedule)', expected constant, cosine or one-cycle")
    }
    guard ["adamw", "sgd"].contains(optimizer) else {
      throw ValidationError("--optimizer: unknown optimiser '\(optimizer)', expected adamw or sgd")
    }
    guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
  }

  func options(context: Int) throws -> TrainingOptions {
    let length = sequenceLength ?? context
    guard length > 0 && length <= context else {
      throw ValidationError("--sequence-length must be in 1...\(context) (the model's context), got \(length)")
    }
    let scheduleValue =
      LearningRateSchedule.named(schedule, peak: learningRate, warmupSteps: min(warmupSteps, steps / 2), totalSteps: steps)
      ?? .constant(learningRate)
    let optimizerValue: OptimizerConfig =
      optimizer == "sgd" ? .sgd(momentum: momentum, weightDecay: weightDecay) : .adamW(weightDecay: weightDecay)
    return TrainingOptions(
      batchSize: batchSize, sequenceLength: length, schedule: scheduleValue, optimizer: optimizerValue,
      gradientClip: gradientClip > 0 ? gradientClip : nil, seed: seed)
  }
}

/// Runs the training loop with progress lines and periodic validation.
func runTraining(_ trainer: Trainer, train: TokenWindows, validation: TokenWindows?, arguments: TrainingArguments) throws {
  let start = wallClock()
  var lastReport = start
  var window = LossSum()
  let tokensPerStep = Double(arguments.batchSize * train.length)
  for step in 1...arguments.steps {
    window = window + (try trainer.trainStep(on: train))
    let now = wallClock()
    let isLast = step == arguments.steps
    let evaluate = isLast || (arguments.evalEvery > 0 && step % arguments.evalEvery == 0)
    if now - lastReport >= 2 || evaluate || step == 1 {
      var line = String(
        format: "step %5d/%d  train loss %.4f  lr %.2e  %@ tok/s", step, arguments.steps, window.mean,
        Double(trainer.options.schedule.rate(at: step - 1)), compact(tokensPerStep * Double(step) / (now - start)))
      if evaluate, let validation, validation.evaluationWindowCount > 0 {
        let loss = try evaluateLoss(model: trainer.model, weights: trainer.weights, adapter: trainer.adapter, windows: validation)
        line += String(format: "  val loss %.4f  ppl %.2f", loss.mean, loss.perplexity)
      }
      log(line)
      lastReport = now
      window = LossSum()
    }
  }
  // The trainer stops before a non-finite update; this guards what is about to be saved.
  if let bad = (trainer.adapter?.parameters ?? trainer.weights).firstNonFiniteTensor() {
    throw ValidationError("training diverged: tensor \(bad) holds non-finite values; nothing was saved")
  }
}

/// Refuses to write into an existing output path unless `force`: a user's earlier model or
/// adapter is never replaced by accident (checked before any work starts).
func refuseExisting(_ path: String, force: Bool) throws {
  guard !force, FileManager.default.fileExists(atPath: path) else { return }
  throw ValidationError("--out \(path) already exists: choose another directory or pass --force to replace its files")
}
