import Aggregation
import Learning
import Randomness
import StateArchive

/// One client's LoRA adapter and optimiser state (never shared).
final class LoRAClient: @unchecked Sendable {
  // @unchecked Sendable: mutated only by the job that trains or mixes this client, one at a time.
  let adapter: Adapter
  /// Updates everything but the routers of a bi-level mixture (then `routerOptimizer` owns them).
  var optimizer: any Optimizer
  var routerOptimizer: (any Optimizer)?
  var steps = 0
  var routerSteps = 0

  init(adapter: Adapter, optimizer: any Optimizer, routerOptimizer: (any Optimizer)? = nil) {
    self.adapter = adapter
    self.optimizer = optimizer
    self.routerOptimizer = routerOptimizer
  }
}

/// LoRA fine-tuning of the shared frozen base on a client's text: local AdamW/SGD steps on random
/// windows of its training tokens.
final class LoRALearner: LocalLearner, @unchecked Sendable {
  // @unchecked Sendable: shared data is immutable; per-worker scratch is used by one worker at a time.
  let model: DecoderLM
  let weights: ParameterSet
  let lora: LoRAConfig
  let data: ClientData
  let schedule: ScheduleSection
  let seed: UInt64
  let sequenceLength: Int
  let initialAdapter: Adapter
  let initialValues: [Float]
  let tensors: [TensorSpan]
  let workspaces: [Workspace]
  let gradients: [ParameterSet]
  /// Batch-of-one workspaces and gradients for per-example clipping (example-level privacy).
  let exampleWorkspaces: [Workspace]
  let exampleGradients: [ParameterSet]
  /// Over every local step a client could take in the run.
  let learningRateSchedule: LearningRateSchedule
  /// Per client, its number of experts when clients hold different numbers of specialists.
  let expertsPerClient: [Int]?
  /// Validation windows judged by validation-based trust (the first ones of the split).
  static let trustValidationWindows = 32

  init(
    model: DecoderLM, weights: ParameterSet, lora: LoRAConfig, data: ClientData, schedule: ScheduleSection, seed: UInt64, workers: Int,
    perExample: Bool, expertsPerClient: [Int]? = nil
  ) {
    self.expertsPerClient = expertsPerClient
    self.model = model
    self.weights = weights
    self.lora = lora
    self.data = data
    self.schedule = schedule
    self.seed = seed
    let length = min(schedule.sequenceLength ?? model.config.contextLength, model.config.contextLength)
    sequenceLength = length
    initialAdapter = Adapter(config: lora, model: model.config, seed: seed)
    initialValues = initialAdapter.parameters.storage.toArray()
    tensors = initialAdapter.parameters.layout.entries.map { entry in
      TensorSpan(
        name: entry.name, offset: entry.offset, rows: entry.shape.count > 1 ? entry.shape[0] : 1,
        columns: entry.shape.count > 1 ? entry.count / entry.shape[0] : entry.count)
    }
    learningRateSchedule =
      LearningRateSchedule.named(
        schedule.learningRateSchedule, peak: schedule.learningRate, warmupSteps: schedule.warmupSteps,
        totalSteps: max(1, schedule.rounds * schedule.localSteps)) ?? .constant(schedule.learningRate)
    workspaces = (0..<workers).map { _ in
      Workspace(config: model.config, lora: lora, batchSize: schedule.batchSize, sequenceLength: length)
    }
    gradients = (0..<workers).map { _ in ParameterSet(layout: .lora(lora, model: model.config)) }
    exampleWorkspaces =
      perExample ? (0..<workers).map { _ in Workspace(config: model.config, lora: lora, batchSize: 1, sequenceLength: length) } : []
    exampleGradients = perExample ? (0..<workers).map { _ in ParameterSet(layout: .lora(lora, model: model.config)) } : []
  }

  func roundStepSize(of state: LoRAClient) -> Double {
    learningRateSchedule.meanRate(from: state.steps, count: schedule.localSteps)
  }
  var localSteps: Int { schedule.localSteps }
  var batchSize: Int { schedule.batchSize }

  /// A mixture whose routers are trained on validation batches, apart from the experts.
  var bilevel: Bool { lora.mixture != nil && schedule.router.data == .validation }

  func makeState(client: Int, ownInitialisation: Bool) -> LoRAClient {
    var adapter =
      ownInitialisation
      ? Adapter(config: lora, model: model.config, seed: seed, client: UInt32(truncatingIfNeeded: client))
      : Adapter(config: lora, parameters: initialAdapter.parameters.copy())
    adapter.activeExperts = activeExperts(client)
    let layout = adapter.parameters.layout
    guard bilevel else { return LoRAClient(adapter: adapter, optimizer: schedule.optimizer.make(for: layout)) }
    // Two optimisers over disjoint tensors: each level reads and writes only its own.
    return LoRAClient(
      adapter: adapter, optimizer: schedule.optimizer.make(for: layout) { !MixtureNames.isRouter($0) },
      routerOptimizer: OptimizerConfig.adamW(beta1: 0.9, beta2: 0.95, weightDecay: 0).make(for: layout, updates: MixtureNames.isRouter))
  }

  func values(of state: LoRAClient) -> [Float] { state.adapter.parameters.storage.toArray() }

  struct Snapshot {
    let values: [Float]
    let optimizer: any Optimizer
    let routerOptimizer: (any Optimizer)?
    let steps: Int
    let routerSteps: Int
  }

  func snapshot(of state: LoRAClient) -> Snapshot {
    Snapshot(
      values: values(of: state), optimizer: state.optimizer.copy(), routerOptimizer: state.routerOptimizer?.copy(), steps: state.steps,
      routerSteps: state.routerSteps)
  }

  func restore(_ snapshot: Snapshot, to state: LoRAClient) {
    setValues(snapshot.values, of: state)
    state.optimizer = snapshot.optimizer
    state.routerOptimizer = snapshot.routerOptimizer
    state.steps = snapshot.steps
    state.routerSteps = snapshot.routerSteps
  }

  func archive(_ state: LoRAClient, to writer: inout ArchiveWriter) {
    writer.section("lora-client")
    writer.write(values(of: state))
    state.optimizer.archive(to: &writer)
    writer.write(state.routerOptimizer != nil)
    state.routerOptimizer?.archive(to: &writer)
    writer.write(state.steps)
    writer.write(state.routerSteps)
  }

  func restore(_ state: LoRAClient, from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("lora-client")
    let values = try reader.readFloats()
    guard values.count == state.adapter.parameters.storage.count else {
      throw .mismatch(what: "a client's adapter size", found: "\(values.count)", expected: "\(state.adapter.parameters.storage.count)")
    }
    setValues(values, of: state)
    try state.optimizer.restore(from: &reader)
    guard try reader.readBool() == (state.routerOptimizer != nil) else {
      throw .mismatch(what: "the router optimiser", found: "in the checkpoint", expected: "the scenario's router training")
    }
    try state.routerOptimizer?.restore(from: &reader)
    state.steps = try reader.readInt()
    state.routerSteps = try reader.readInt()
  }

  func setValues(_ values: [Float], of state: LoRAClient) {
    precondition(values.count == state.adapter.parameters.storage.count, "adapter values of the wrong size")
    values.withUnsafeBufferPointer { state.adapter.parameters.storage.pointer.update(from: $0.baseAddress!, count: values.count) }
  }

  /// The adapter holding `values`, with `client`'s active experts when it has fewer specialists.
  func adapter(_ values: [Float], client: Int? = nil) -> Adapter {
    var adapter = Adapter(config: lora, parameters: ParameterSet(layout: initialAdapter.parameters.layout, storage: FloatStorage(values)))
    adapter.activeExperts = client.flatMap(activeExperts)
    return adapter
  }

  /// A client's expert count when clients hold different numbers of specialists.
  func activeExperts(_ client: Int) -> Int? {
    expertsPerClient.flatMap { $0.indices.contains(client) ? $0[client] : nil }
  }

  func train(
    client: Int, state: LoRAClient, round: Int, worker: Int, anchor: [Float]?, proximal: Double, privacy: ExampleLevelPrivacy?,
    flipLabels: Bool
  ) -> [String: Double] {
    let parameters = state.adapter.parameters
    let windows = TokenWindows(tokens: data.train[client], length: sequenceLength)
    let batch = schedule.batchSize
    var inputs = [Int32](repeating: 0, count: batch * sequenceLength), targets = inputs
    var loss = LossSum()
    let grads = gradients[worker]
    for step in 0..<schedule.localSteps where windows.canSample {
      var stream = RandomStream(seed: seed, purpose: .batches, client: UInt32(client), round: UInt32(round), step: UInt32(state.steps))
      inputs.withUnsafeMutableBufferPointer { i in
        targets.withUnsafeMutableBufferPointer { t in
          // Example-level privacy is accounted for b distinct windows of the m start positions
          // (b ≤ m is checked when the run starts); never sampled with replacement then.
          if privacy != nil {
            windows.sampleDistinct(batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &stream)
          } else {
            windows.sample(batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &stream)
          }
        }
      }
      if flipLabels {
        // Every next token mirrored in the vocabulary (t → V − 1 − t): a fixed permutation, so the
        // adversary learns a consistently wrong model (ignored targets, < 0, stay ignored).
        let last = Int32(model.config.vocabSize - 1)
        for k in targets.indices where targets[k] >= 0 { targets[k] = last - targets[k] }
      }
      grads.zero()
      var dropout = RandomStream(seed: seed, purpose: .dropout, client: UInt32(client), round: UInt32(round), step: UInt32(state.steps))
      if let privacy {
        loss =
          loss
          + perExampleStep(state: state, inputs: inputs, targets: targets, worker: worker, privacy: privacy, step: step, dropout: &dropout)
      } else {
        loss =
          loss
          + inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
              // Batches are valid by construction (tokens of the corpus), so a failure is a bug.
              try! model.forwardBackward(
                weights: weights, adapter: state.adapter, tokens: i, targets: t, workspace: workspaces[worker],
                gradients: .init(adapter: grads), dropoutStream: &dropout)
            }
          }
      }
      // FedProx: ∇(μ/2)‖w − w_anchor‖² = μ(w − w_anchor).
      if proximal > 0, let anchor, anchor.count == parameters.storage.count {
        let g = grads.storage.pointer, w = parameters.storage.pointer, mu = Float(proximal)
        anchor.withUnsafeBufferPointer { a in
          for i in 0..<anchor.count { g[i] += mu * (w[i] - a[i]) }
        }
      }
      // The experts' step uses expert gradients only (the routers' are not theirs to clip).
      if bilevel { zeroRouterGradients(grads) }
      if privacy == nil, let clip = schedule.gradientClip { clipGradientNorm(grads, maxNorm: clip) }
      state.optimizer.step(parameters: parameters, gradients: grads, learningRate: learningRateSchedule.rate(at: state.steps))
      state.steps += 1
      if bilevel && state.steps % schedule.router.every == 0 { trainRouter(client: client, state: state, round: round, worker: worker) }
    }
    return ["train_loss": loss.mean]
  }

  func zeroRouterGradients(_ gradients: ParameterSet) {
    for layer in 0..<model.config.layers { gradients.buffer(MixtureNames.router(layer)).update(repeating: 0) }
  }

  /// CoMiGS's upper level: `router.steps` router-only AdamW steps on validation batches.
  func trainRouter(client: Int, state: LoRAClient, round: Int, worker: Int) {
    let windows = TokenWindows(tokens: data.validation[client], length: sequenceLength)
    guard windows.canSample, var optimizer = state.routerOptimizer else { return }
    let batch = schedule.batchSize, grads = gradients[worker]
    var inputs = [Int32](repeating: 0, count: batch * sequenceLength), targets = inputs
    for _ in 0..<schedule.router.steps {
      var stream = RandomStream(
        seed: seed, purpose: StreamPurpose("router-batches"), client: UInt32(client), round: UInt32(round),
        step: UInt32(truncatingIfNeeded: state.routerSteps))
      inputs.withUnsafeMutableBufferPointer { i in
        targets.withUnsafeMutableBufferPointer { t in
          windows.sample(batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &stream)
        }
      }
      grads.zero()
      var dropout = RandomStream(
        seed: seed, purpose: StreamPurpose("router-dropout"), client: UInt32(client), round: UInt32(round),
        step: UInt32(truncatingIfNeeded: state.routerSteps))
      _ = inputs.withUnsafeBufferPointer { i in
        targets.withUnsafeBufferPointer { t in
          // Batches are valid by construction (tokens of the corpus), so a failure is a bug.
          try! model.forwardBackward(
            weights: weights, adapter: state.adapter, tokens: i, targets: t, workspace: workspaces[worker],
            gradients: .init(adapter: grads), dropoutStream: &dropout)
        }
      }
      optimizer.step(parameters: state.adapter.parameters, gradients: grads, learningRate: schedule.router.learningRate)
      state.routerSteps += 1
    }
    state.routerOptimizer = optimizer
  }

  /// One DP-SGD gradient: each window's gradient clipped to C, averaged over the batch, noised.
  func perExampleStep(
    state: LoRAClient, inputs: [Int32], targets: [Int32], worker: Int, privacy: ExampleLevelPrivacy, step: Int,
    dropout: inout RandomStream
  ) -> LossSum {
    let grads = gradients[worker], single = exampleGradients[worker], count = grads.storage.count
    var sum = [Double](repeating: 0, count: count)
    var loss = LossSum()
    for row in 0..<schedule.batchSize {
      single.zero()
      let range = (row * sequenceLength)..<((row + 1) * sequenceLength)
      loss =
        loss
        + inputs.withUnsafeBufferPointer { allInputs in
          targets.withUnsafeBufferPointer { allTargets in
            // The row's window, without copying it.
            try! model.forwardBackward(
              weights: weights, adapter: state.adapter, tokens: UnsafeBufferPointer(rebasing: allInputs[range]),
              targets: UnsafeBufferPointer(rebasing: allTargets[range]), workspace: exampleWorkspaces[worker],
              gradients: .init(adapter: single), dropoutStream: &dropout)
          }
        }
      let g = single.storage.pointer
      var norm = 0.0
      for i in 0..<count { norm += Double(g[i]) * Double(g[i]) }
      let scale = min(1, privacy.clip / max(norm.squareRoot(), 1e-300))
      for i in 0..<count { sum[i] += scale * Double(g[i]) }
    }
    let b = Double(schedule.batchSize)
    for i in 0..<count { sum[i] /= b }
    privacy.addNoise(step, &sum)
    let g = grads.storage.pointer
    for i in 0..<count { g[i] = Float(sum[i]) }
    return loss
  }

  func trainingWeight(client: Int) -> Double { Double(data.trainCounts[client]) }

  func exampleCount(client: Int) -> Int { max(1, data.trainCounts[client] - sequenceLength) }

  func localWorkFLOPs(client: Int) -> Double {
    // A client with fewer specialists computes fewer experts.
    var own = lora
    if let active = activeExperts(client) { own.mixture?.experts = active }
    return Double(schedule.localSteps)
      * FLOPCount.trainingStep(model.config, lora: own, batch: schedule.batchSize, sequence: sequenceLength, baseGradients: false)
  }

  var requiredMemoryBytes: Double {
    Double(weights.storage.count * 4 + workspaces[0].byteCount + 3 * initialValues.count * 4)
  }

  func evaluate(values: [Float], client: Int, split: String) -> ClientEvaluation {
    let texts = split == "test" ? data.test : split == "train" ? data.train : data.validation
    let windows = TokenWindows(tokens: texts[client], length: sequenceLength)
    let result = try? evaluateLossAndRouting(model: model, weights: weights, adapter: adapter(values, client: client), windows: windows)
    let sum = result?.loss ?? LossSum()
    var evaluation = ClientEvaluation(
      loss: sum.mean, count: sum.tokens, accuracy: sum.accuracy, perplexity: sum.perplexity, generalistShare: result?.generalistShare)
    // Routing per domain, when the split mixes domains (an out-of-distribution target, say).
    let domains = split == "test" ? data.testByDomain[client] : split == "validation" ? data.validationByDomain[client] : [:]
    if lora.mixture != nil && domains.count > 1 {
      var byDomain: [Int: [Double]] = [:]
      for (domain, tokens) in domains {
        let windows = TokenWindows(tokens: tokens, length: sequenceLength)
        if let share =
          (try? evaluateLossAndRouting(
            model: model, weights: weights, adapter: adapter(values, client: client), windows: windows))?.generalistShare
        {
          byDomain[domain] = share
        }
      }
      evaluation.generalistShareByDomain = byDomain
    }
    return evaluation
  }

  func validationLoss(values: [Float], receiver: Int) -> Double {
    let tokens = data.validation[receiver].prefix(Self.trustValidationWindows * sequenceLength + 1)
    let windows = TokenWindows(tokens: Array(tokens), length: sequenceLength)
    let sum = (try? evaluateLoss(model: model, weights: weights, adapter: adapter(values, client: receiver), windows: windows)) ?? LossSum()
    return sum.tokens > 0 ? sum.mean : .infinity
  }

  func predictions(values: [Float], request: EvidenceRequest, worker: Int) -> Predictions? {
    let windows = TokenWindows(tokens: data.publicTokens, length: sequenceLength)
    let count = min(request.referenceWindows, windows.evaluationWindowCount)
    guard count > 0 else { return nil }
    let workspace = Workspace(
      config: model.config, lora: lora, batchSize: count, sequenceLength: sequenceLength, keepsActivations: false)
    var inputs = [Int32](repeating: 0, count: count * sequenceLength), targets = inputs
    inputs.withUnsafeMutableBufferPointer { i in
      targets.withUnsafeMutableBufferPointer { t in
        windows.evaluationBatch(first: 0, batch: count, inputs: i.baseAddress!, targets: t.baseAddress!)
      }
    }
    let model = self.model
    let ok = inputs.withUnsafeBufferPointer { i in
      (try? model.forward(weights: weights, adapter: adapter(values), tokens: i, targets: nil, workspace: workspace)) != nil
    }
    guard ok else { return nil }
    return Predictions(
      logits: workspace.logits, positions: count * sequenceLength, vocabulary: model.config.vocabSize, topK: request.predictionTopK)
  }

  var optimum: [Double]? { nil }
}
