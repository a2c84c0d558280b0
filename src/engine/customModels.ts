/** Loading a custom backbone model (by URL or from dropped files) inside the worker. */
import * as tf from '@tensorflow/tfjs';
import { formatOfModelJson } from '../ml/customBackbone';
import type { CustomBackboneSource } from './api';

export interface LoadedCustomModel {
  model: tf.LayersModel | tf.GraphModel;
  /** A short name for the picker. */
  title: string;
  /** Where it came from, in words. */
  where: string;
}

/** Detects the format from model.json and loads it; errors name the missing or broken file. */
export async function loadCustomModel(source: CustomBackboneSource): Promise<LoadedCustomModel> {
  let format: 'layers' | 'graph';
  let model: tf.LayersModel | tf.GraphModel;
  let title: string;
  let where: string;
  if ('url' in source) {
    const response = await fetch(source.url).catch((error) => {
      throw new Error(`${source.url} could not be fetched: ${error instanceof Error ? error.message : error}`);
    });
    if (!response.ok) throw new Error(`${source.url} answered ${response.status} ${response.statusText}.`);
    format = formatOfModelJson(await response.json());
    model = format === 'layers' ? await tf.loadLayersModel(source.url) : await tf.loadGraphModel(source.url);
    title = new URL(source.url, self.location.href).pathname.split('/').slice(-2, -1)[0] || 'custom model';
    where = source.url;
  } else {
    const jsonFile = source.files.find((f) => f.name.endsWith('.json'));
    if (!jsonFile) throw new Error('Drop the model.json together with its weight files (.bin).');
    const text = await jsonFile.file.text();
    let json: Parameters<typeof formatOfModelJson>[0] & { weightsManifest?: { paths: string[] }[] };
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${jsonFile.name} is not valid JSON.`);
    }
    format = formatOfModelJson(json);
    const needed = (json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => p.split('/').pop()!));
    const missing = needed.filter((name) => !source.files.some((f) => f.name === name));
    if (missing.length > 0) throw new Error(`Weight files missing: ${missing.join(', ')}. Drop them together with ${jsonFile.name}.`);
    const files = [jsonFile, ...source.files.filter((f) => needed.includes(f.name))].map((f) => new File([f.file], f.name));
    model = format === 'layers' ? await tf.loadLayersModel(tf.io.browserFiles(files)) : await tf.loadGraphModel(tf.io.browserFiles(files));
    title = jsonFile.name.replace(/\.json$/, '') === 'model' ? 'dropped model' : jsonFile.name.replace(/\.json$/, '');
    where = `dropped files (${source.files.map((f) => f.name).join(', ')})`;
  }
  return { model, title, where };
}
