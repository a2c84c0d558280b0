/**
 * The model download formats: ids, names, the files each zip holds and a short
 * "Use your model" snippet with the right preprocessing. One list for every
 * place that offers a download (the Preview panel, an export dialog).
 */
import type { DeployFormatId, PixelScaling } from '../../engine/api';

export type ExportFormatId = 'tfjs' | DeployFormatId;

/** How the snippet should prepare an image: side length and pixel scaling of the backbone. */
export interface SnippetInput {
  size: number;
  /** 'teachable-machine' is x / 127 − 1; 'unit' is x / 255; 'pixels' (the @tensorflow-models/mobilenet graphs, input range [0, 1]) is x / 255 too. */
  scaling: PixelScaling;
}

export interface ExportFormat {
  id: ExportFormatId;
  /** The option text: names the format. */
  label: string;
  /** What the zip holds. */
  files: string[];
  /** Who loads it, in a few words. */
  loadedBy: string;
  /** What the files are, in one or two plain sentences. */
  explanation: string;
  snippetLanguage: 'html' | 'python';
  snippet(input: SnippetInput): string;
}

const floatScale = ({ scaling }: SnippetInput) => (scaling === 'teachable-machine' ? ' / 127.0 - 1.0' : ' / 255.0');

/** Python: centre square crop and resize like the app (and Teachable Machine). */
const pythonImage = ({ size }: SnippetInput) =>
  `image = ImageOps.fit(Image.open("photo.jpg").convert("RGB"), (${size}, ${size}), Image.BILINEAR)  # centre crop + resize`;

const LABELS_PY = 'labels = [line.rstrip("\\n").split(" ", 1)[1] for line in open("labels.txt")]';

export const EXPORT_FORMATS: readonly ExportFormat[] = [
  {
    id: 'tfjs',
    label: 'TensorFlow.js',
    files: ['model.json', 'weights.bin', 'metadata.json'],
    loadedBy: 'TensorFlow.js (tf.loadLayersModel) and the Teachable Machine image library in a web page',
    explanation:
      'A zip with three files: model.json (the model’s layers), weights.bin (what it learned) and metadata.json (your class names and the image size). Unzip it next to a web page and load it with TensorFlow.js or Teachable Machine’s library.',
    snippetLanguage: 'html',
    snippet: ({ size, scaling }) =>
      [
        '<!-- Unzip the download into my-model/ next to this page. -->',
        '<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4/dist/tf.min.js"></script>',
        '<script type="module">',
        '  const model = await tf.loadLayersModel("my-model/model.json");',
        '  const { labels } = await (await fetch("my-model/metadata.json")).json();',
        `  // The model sees the centre square of the image, resized to ${size} px, ${scaling === 'unit' ? 'scaled from 0..255 to 0..1' : 'scaled from 0..255 to -1..1 (x / 127 - 1)'}.`,
        '  const probabilities = tf.tidy(() => {',
        '    const pixels = tf.browser.fromPixels(document.querySelector("img"));',
        '    const [height, width] = pixels.shape;',
        '    const side = Math.min(height, width);',
        '    const square = pixels.slice([(height - side) >> 1, (width - side) >> 1, 0], [side, side, 3]);',
        `    const input = tf.image.resizeBilinear(square, [${size}, ${size}]).toFloat()${scaling === 'unit' ? '.div(255)' : '.div(127).sub(1)'};`,
        '    return model.predict(input.expandDims(0)).dataSync();',
        '  });',
        '  console.log(labels.map((label, i) => ({ label, probability: probabilities[i] })));',
        '</script>',
        '',
        '<!-- Or with Teachable Machine\'s library, which does the same preprocessing: -->',
        '<script src="https://cdn.jsdelivr.net/npm/@teachablemachine/image@0.8/dist/teachablemachine-image.min.js"></script>',
        '<script type="module">',
        '  const tm = await tmImage.load("my-model/model.json", "my-model/metadata.json");',
        '  console.log(await tm.predict(document.querySelector("img"))); // [{ className, probability }, …]',
        '</script>',
      ].join('\n'),
  },
  {
    id: 'tflite-float',
    label: 'TFLite (float)',
    files: ['model_unquant.tflite', 'labels.txt'],
    loadedBy: 'LiteRT / TensorFlow Lite on Android, iOS, Raspberry Pi and in Python (ai_edge_litert, tflite_runtime)',
    explanation:
      'One .tflite file for Android, iOS, Raspberry Pi and other small devices, with full-precision weights, plus labels.txt with your class names. Laid out like Teachable Machine’s TFLite download.',
    snippetLanguage: 'python',
    snippet: (input) =>
      [
        'import numpy as np',
        'from PIL import Image, ImageOps',
        'from ai_edge_litert.interpreter import Interpreter  # or: from tflite_runtime.interpreter import Interpreter',
        '',
        LABELS_PY,
        'interpreter = Interpreter(model_path="model_unquant.tflite")',
        'interpreter.allocate_tensors()',
        pythonImage(input),
        `x = np.asarray(image, dtype=np.float32)[None]${floatScale(input)}`,
        'interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)',
        'interpreter.invoke()',
        'probabilities = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]',
        'print(labels[probabilities.argmax()], probabilities.max())',
      ].join('\n'),
  },
  {
    id: 'tflite-quantized',
    label: 'TFLite (quantized)',
    files: ['model.tflite', 'labels.txt'],
    loadedBy: 'LiteRT / TensorFlow Lite on phones, Raspberry Pi and Coral-class boards: 8-bit, about a third of the float size',
    explanation:
      'A smaller .tflite file whose weights and arithmetic use 8-bit numbers: about a third of the float size and nearly as accurate. It takes the raw 0..255 pixels. For phones and small boards.',
    snippetLanguage: 'python',
    snippet: (input) =>
      [
        'import numpy as np',
        'from PIL import Image, ImageOps',
        'from ai_edge_litert.interpreter import Interpreter  # or: from tflite_runtime.interpreter import Interpreter',
        '',
        LABELS_PY,
        'interpreter = Interpreter(model_path="model.tflite")',
        'interpreter.allocate_tensors()',
        pythonImage(input),
        '# uint8 input: the raw pixels (x / 127 - 1 is built into the model).',
        'x = np.asarray(image, dtype=np.uint8)[None]',
        'interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)',
        'interpreter.invoke()',
        'output = interpreter.get_output_details()[0]',
        'scale, zero_point = output["quantization"]  # 1/256 and 0',
        'probabilities = (interpreter.get_tensor(output["index"])[0].astype(np.float32) - zero_point) * scale',
        'print(labels[probabilities.argmax()], probabilities.max())',
      ].join('\n'),
  },
  {
    id: 'onnx',
    label: 'ONNX',
    files: ['model.onnx', 'labels.txt'],
    loadedBy: 'ONNX Runtime in Python, C#, Java, C++, JavaScript and on mobile (opset 13)',
    explanation: 'One .onnx file for ONNX Runtime (Python, C#, Java, C++, JavaScript) and other tools that read ONNX, plus labels.txt with your class names.',
    snippetLanguage: 'python',
    snippet: (input) =>
      [
        'import numpy as np',
        'import onnxruntime as ort',
        'from PIL import Image, ImageOps',
        '',
        LABELS_PY,
        'session = ort.InferenceSession("model.onnx")',
        pythonImage(input),
        `x = np.asarray(image, dtype=np.float32)[None]${floatScale(input)}  # NHWC, batch of any size`,
        'probabilities = session.run(None, {"input": x})[0][0]',
        'print(labels[probabilities.argmax()], probabilities.max())',
      ].join('\n'),
  },
];

export const DEFAULT_EXPORT_FORMAT: ExportFormatId = 'tfjs';

export function exportFormat(id: ExportFormatId): ExportFormat {
  return EXPORT_FORMATS.find((f) => f.id === id) ?? EXPORT_FORMATS[0];
}

