/** Text to speech (docs/speech.md): providers, the audio cache, the route that serves it, say: prompts. */
export { AudioCache, type CachedAudio } from './cache';
export { EspeakEngine, espeakVoiceFor, listEspeakVoices, parseEspeakVoices, type EspeakVoice } from './espeak';
export { OpenAiSpeech } from './openai';
export { SpeechError, type SpeechProvider, type SpeechRequest } from './provider';
export { serveAudio, SPEECH_ROUTE } from './route';
export { isSay, renderSay, SAY_PATTERN } from './say';
export { Synthesiser, synthesizePcm, synthesizeWav, type Delivery } from './synthesiser';
export { encodeWav, parseWav, resample, type Pcm } from './wav';
