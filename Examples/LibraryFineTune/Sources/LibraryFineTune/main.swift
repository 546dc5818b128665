// Fine-tunes a LoRA adapter on a text file with FedSim's `Learning` module and saves it in PEFT
// layout. Usage: LibraryFineTune TEXT OUT_DIR [BASE_MODEL_DIR]
// Without a base model directory, a small base is pretrained on the first half of the text.
import Foundation
import Learning

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  print("usage: LibraryFineTune TEXT OUT_DIR [BASE_MODEL_DIR]")
  exit(2)
}
let text = ByteTokenizer().encode(try Data(contentsOf: URL(fileURLWithPath: arguments[1])))
let out = URL(fileURLWithPath: arguments[2])

// 1. A base model: loaded from disk (FedSim or Hugging Face Llama layout), or pretrained here.
let config: ModelConfig
let weights: ParameterSet
if arguments.count > 3 {
  (config, weights) = try ModelCheckpoint.load(from: URL(fileURLWithPath: arguments[3]))
} else {
  config = ModelConfig(dim: 64, layers: 2, heads: 4, ffnDim: 176, contextLength: 64)
  weights = ParameterSet.llama(config, seed: 0)
  let pretrainer = try Trainer(
    model: try DecoderLM(config: config), weights: weights, adapter: nil,
    options: TrainingOptions(batchSize: 16, sequenceLength: 64, schedule: .constant(3e-3)))
  let firstHalf = TokenWindows(tokens: Array(text.prefix(text.count / 2)), length: 64)
  for _ in 0..<150 { try pretrainer.trainStep(on: firstHalf) }
}
let model = try DecoderLM(config: config)

// 2. A LoRA adapter on the attention projections, trained on the second half of the text.
let lora = LoRAConfig(rank: 8, alpha: 16, targets: [.q, .k, .v, .o])
let adapter = Adapter(config: lora, model: config, seed: 1)
let secondHalf = Array(text.suffix(text.count / 2))
let train = TokenWindows(tokens: Array(secondHalf.dropLast(2048)), length: 64)
let validation = TokenWindows(tokens: Array(secondHalf.suffix(2048)), length: 64)
let before = try evaluateLoss(model: model, weights: weights, adapter: adapter, windows: validation)
let trainer = try Trainer(
  model: model, weights: weights, adapter: adapter,
  options: TrainingOptions(
    batchSize: 16, sequenceLength: 64,
    schedule: .warmupCosine(peak: 3e-3, warmupSteps: 10, totalSteps: 100), optimizer: .adamW(weightDecay: 0)))
for _ in 0..<100 { try trainer.trainStep(on: train) }
let after = try evaluateLoss(model: model, weights: weights, adapter: adapter, windows: validation)

// 3. Save in PEFT layout: loadable with `PeftModel.from_pretrained` or `fedsim eval --adapter`.
try AdapterCheckpoint.save(adapter, to: out)
print(String(format: "validation loss %.4f -> %.4f; adapter saved to %@", before.mean, after.mean, out.path))
