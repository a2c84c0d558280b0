/** Copy-ready code that loads an exported model, per export format, with the preprocessing the model expects. */

export const EXPORT_FORMATS = ['TensorFlow.js', 'TFLite (float)', 'TFLite (quantized)', 'ONNX'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/** What the files are, in one or two plain sentences. */
export const EXPLANATIONS: Record<ExportFormatName, string> = {
  'TensorFlow.js':
    'A zip with three files: model.json (the model’s layers), weights.bin (what it learned) and metadata.json (your class names and the image size). Unzip it next to a web page and load it with TensorFlow.js or Teachable Machine’s library.',
  'TFLite (float)':
    'One .tflite file for Android, iOS, Raspberry Pi and other small devices, with full-precision weights, plus your class names.',
  'TFLite (quantized)':
    'A smaller .tflite file whose weights are stored as 8-bit numbers: about four times smaller, nearly as accurate. For phones and microcontrollers.',
  ONNX: 'One .onnx file for ONNX Runtime (Python, C#, C++, JavaScript) and other tools that read ONNX, plus your class names.',
};

const TFJS = `import * as tf from '@tensorflow/tfjs';

// Unzip the download into model/ next to your page.
const model = await tf.loadLayersModel('model/model.json');
const { labels, imageSize } = await (await fetch('model/metadata.json')).json();

// The model sees the centre square of the image, resized to imageSize,
// with every channel scaled from 0..255 to -1..1 (divided by 127, minus 1).
function classify(image) {
  const probabilities = tf.tidy(() => {
    const pixels = tf.browser.fromPixels(image);
    const [height, width] = pixels.shape;
    const size = Math.min(height, width);
    const square = pixels.slice([(height - size) >> 1, (width - size) >> 1, 0], [size, size, 3]);
    const input = tf.image.resizeBilinear(square, [imageSize, imageSize]).toFloat().div(127).sub(1);
    return model.predict(input.expandDims(0)).dataSync();
  });
  return labels.map((label, i) => ({ label, probability: probabilities[i] }));
}

// Or with Teachable Machine's library (it does the same preprocessing):
// import * as tmImage from '@teachablemachine/image';
// const tm = await tmImage.load('model/model.json', 'model/metadata.json');
// const predictions = await tm.predict(image);
`;

const tflite = (file: string) => `# pip install ai-edge-litert numpy pillow
import json, numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter

interpreter = Interpreter(model_path="${file}")
interpreter.allocate_tensors()
inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
labels = json.load(open("metadata.json"))["labels"]
size = inp["shape"][1]

# Centre square, resized, channels scaled from 0..255 to -1..1 (divided by 127, minus 1).
image = Image.open("photo.jpg").convert("RGB")
side = min(image.size)
left, top = (image.width - side) // 2, (image.height - side) // 2
image = image.crop((left, top, left + side, top + side)).resize((size, size))
x = np.asarray(image, dtype=np.float32)[None] / 127.0 - 1.0

interpreter.set_tensor(inp["index"], x)
interpreter.invoke()
probabilities = interpreter.get_tensor(out["index"])[0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))
`;

const ONNX = `# pip install onnxruntime numpy pillow
import json, numpy as np, onnxruntime as ort
from PIL import Image

session = ort.InferenceSession("model.onnx")
inp = session.get_inputs()[0]
labels = json.load(open("metadata.json"))["labels"]
size = inp.shape[1] if isinstance(inp.shape[1], int) else 224

# Centre square, resized, channels scaled from 0..255 to -1..1 (divided by 127, minus 1); NHWC layout.
image = Image.open("photo.jpg").convert("RGB")
side = min(image.size)
left, top = (image.width - side) // 2, (image.height - side) // 2
image = image.crop((left, top, left + side, top + side)).resize((size, size))
x = np.asarray(image, dtype=np.float32)[None] / 127.0 - 1.0

probabilities = session.run(None, {inp.name: x})[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))
`;

export const SNIPPETS: Record<ExportFormatName, string> = {
  'TensorFlow.js': TFJS,
  'TFLite (float)': tflite('model.tflite'),
  'TFLite (quantized)': tflite('model-quantized.tflite'),
  ONNX,
};
