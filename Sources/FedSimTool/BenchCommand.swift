import ArgumentParser
import Foundation
import Learning
import Randomness
import Simulation

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure FedSim's speed on this machine.",
    subcommands: [TrainBench.self, KernelBench.self, PrivacyBench.self, PopulationBench.self, ExchangeBench.self])
}

/// LoRA fine-tuning throughput (forward + backward + AdamW) on the named model configs.
struct TrainBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Tokens/s of a LoRA fine-tuning step (forward, backward, AdamW) and FLOP utilisation against a measured sgemm peak.")

  @Option(help: "Comma-separated configs among nano, micro, mini.") var configs: String = "nano,micro,mini"
  @Option(help: "Comma-separated BLAS thread counts.") var threads: String = "1,2"
  @Option(name: .customLong("batch-size"), help: "Sequences per step.") var batchSize: Int = 16
  @Option(help: "LoRA rank (alpha = 2·rank, all seven projections).") var rank: Int = 8
  @Option(
    help: "Experts of a CoMiGS mixture on every MLP (1 generalist; 0: plain LoRA). A step then includes the router's forward and backward."
  )
  var experts: Int = 0
  @Option(help: "Minimum measured seconds per row.") var seconds: Double = 3
  @Option(help: "Warm-up steps per row.") var warmup: Int = 2
  @Option(
    help:
      "How threads are used: 'shards' splits the batch into one shard per thread (one BLAS thread each), 'blas' gives OpenBLAS the threads inside one step."
  )
  var parallel: String = "shards"
  @Flag(help: "One JSON object per row.") var json = false

  func run() throws {
    let names = configs.split(separator: ",").map(String.init)
    for name in names where ModelConfig.presets[name] == nil {
      throw ValidationError(
        "--configs: unknown config '\(name)', expected among \(ModelConfig.presets.keys.sorted().joined(separator: ", "))")
    }
    let threadCounts = try threads.split(separator: ",").map { text -> Int in
      guard let n = Int(text), n > 0 else { throw ValidationError("--threads: '\(text)' is not a positive integer") }
      return n
    }
    if !json {
      print(BLASKernelSelection.current.line)
      for warning in BLASKernelSelection.current.warnings { print("warning: \(warning)") }
      print("config  threads  tokens/s   step ms   GFLOP/s  sgemm peak  utilisation")
    }
    guard ["shards", "blas"].contains(parallel) else {
      throw ValidationError("--parallel: '\(parallel)', expected shards or blas")
    }
    for threadCount in threadCounts where batchSize % threadCount != 0 && parallel == "shards" {
      throw ValidationError("--threads \(threadCount) must divide --batch-size \(batchSize) with --parallel shards")
    }
    for threadCount in threadCounts {
      BLAS.threads = threadCount
      let peak = measureSgemmPeak()
      let shards = parallel == "shards" ? threadCount : 1
      BLAS.threads = parallel == "shards" ? 1 : threadCount
      for name in names {
        let config = ModelConfig.presets[name]!
        let row = try measure(config: config, shards: shards)
        let gflops = row.flops * row.tokensPerSecond / Double(batchSize * config.contextLength) / 1e9
        if json {
          print(
            "{\"config\": \"\(name)\", \"threads\": \(threadCount), \"tokens_per_s\": \(row.tokensPerSecond), \"step_ms\": \(row.stepSeconds * 1e3), \"gflops\": \(gflops), \"sgemm_peak_gflops\": \(peak), \"utilisation\": \(gflops / peak), \"openblas_core\": \"\(BLAS.coreName)\", \"kernel_source\": \"\(BLASKernelSelection.current.source.rawValue)\", \"kernel_level\": \"\(KernelLevel(kernel: BLAS.coreName))\", \"best_level\": \"\(KernelLevel.candidates(for: .current).first.map { KernelLevel(kernel: $0) } ?? .generic)\", \"steps\": \(row.steps), \"experts\": \(experts), \"parallel\": \"\(parallel)\"}"
          )
        } else {
          print(
            String(
              format: "%-7@ %7d  %8.0f  %8.1f  %8.1f  %10.1f  %10.1f%%", name, threadCount, row.tokensPerSecond,
              row.stepSeconds * 1e3, gflops, peak, 100 * gflops / peak))
        }
      }
    }
  }

  struct Row { let tokensPerSecond: Double, stepSeconds: Double, flops: Double, steps: Int }

  func measure(config: ModelConfig, shards: Int) throws -> Row {
    let model = try DecoderLM(config: config)
    let weights = ParameterSet.llama(config, seed: 1)
    let lora = LoRAConfig(
      rank: rank, alpha: Float(2 * rank), mixture: experts > 0 ? MixtureConfig(experts: experts, generalists: min(1, experts)) : nil)
    try lora.validate()
    let adapter = Adapter(config: lora, model: config, seed: 1)
    var options = TrainingOptions(
      batchSize: batchSize, sequenceLength: config.contextLength, schedule: .constant(1e-3),
      optimizer: .adamW(), gradientClip: nil, seed: 1)
    options.shards = shards
    let trainer = try Trainer(model: model, weights: weights, adapter: adapter, options: options, workers: shards)
    var stream = RandomStream(seed: 1, purpose: .data)
    let tokens = (0..<batchSize * config.contextLength).map { _ in Int32(stream.nextInt(below: 256)) }
    let targets = tokens.map { ($0 + 1) % 256 }
    for _ in 0..<warmup { try trainer.trainStep(inputs: tokens, targets: targets) }
    // As the PyTorch script measures: tokens/s over the whole timed span, step time as a median.
    var stepTimes: [Double] = []
    let start = wallClock()
    var elapsed = 0.0
    while elapsed < seconds || stepTimes.count < 10 {
      let stepStart = wallClock()
      try trainer.trainStep(inputs: tokens, targets: targets)
      let now = wallClock()
      stepTimes.append(now - stepStart)
      elapsed = now - start
    }
    let median = stepTimes.sorted()[stepTimes.count / 2]
    let flops = FLOPCount.trainingStep(config, lora: lora, batch: batchSize, sequence: config.contextLength, baseGradients: false)
    return Row(
      tokensPerSecond: Double(batchSize * config.contextLength * stepTimes.count) / elapsed, stepSeconds: median,
      flops: flops, steps: stepTimes.count)
  }

  /// GFLOP/s of a 1024³ sgemm with the current thread count (best of several runs).
  func measureSgemmPeak() -> Double {
    let n = 1024
    let a = FloatStorage(count: n * n), b = FloatStorage(count: n * n), c = FloatStorage(count: n * n)
    for i in 0..<(n * n) {
      a.pointer[i] = Float(i % 7) * 0.1
      b.pointer[i] = Float(i % 5) * 0.1
    }
    var best = 0.0
    for _ in 0..<5 {
      let start = wallClock()
      gemm(.none, .none, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
      best = max(best, 2 * Double(n * n * n) / (wallClock() - start) / 1e9)
    }
    return best
  }
}
