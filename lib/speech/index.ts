/** Text to speech and speech input (docs/speech.md): providers, recognisers, the audio cache, the route that serves it, say: prompts. */
export { AudioCache, type CachedAudio } from './cache';
export { EspeakEngine, espeakVoiceFor, listEspeakVoices, parseEspeakVoices, type EspeakVoice } from './espeak';
export { OpenAiSpeech } from './openai';
export { PocketsphinxRecogniser, parsePocketsphinx } from './pocketsphinx';
export { SpeechError, type SpeechProvider, type SpeechRequest } from './provider';
export { MAX_RECOGNISED_CHARS, recognisedText, type Recogniser, type Recognition, type RecognitionRequest } from './recogniser';
export { serveAudio, SPEECH_ROUTE } from './route';
export { isSay, renderSay, SAY_PATTERN } from './say';
export { Synthesiser, synthesizePcm, synthesizeWav, type Delivery } from './synthesiser';
export { VoskRecogniser, voskUrl } from './vosk';
export { WhisperRecogniser, transcriptionUrl } from './whisper';
export { encodeWav, parseWav, resample, type Pcm } from './wav';
