// Warm-up of the text analysis for `trendstream analyze` (in `detect` it measured no gain).
//
// Over a file of 100,000 tweets, V8 spent about a quarter of the command's CPU compiling: it
// optimises the tokeniser and the scorer after a few hundred posts with the type feedback seen
// so far, and every branch first taken later (the first umlaut, emoticon, CamelCase hashtag,
// German compound, "raus!") sends the optimised code back to the interpreter and compiles it
// again (the scorer about 30 ms a time). `warmUp` takes those branches once, on the texts below,
// before the first post, so that the first optimisation already has their feedback; then it
// empties the word table, so that no result depends on it (results never do: see language.ts).
// Over the 100,000 tweets, with `--trace-deopt`: 2 deoptimisations left after the warm-up
// (there were 15 before its rarest-branch lines) and 62 compilations (78).
//
// The texts were written for this project; each line is there for the branches it takes.
import { resetWordTable } from './language.js';
import { analyseText } from './sentiment.js';

const TEXTS = [
  // German: demand, sarcasm emoji after praise and complaint, intensifying prefix, contrast.
  'Trainer raus!!! Das war sauschlecht, ich bin so enttäuscht 🙄 aber die Fans waren toll',
  'Na super, schon wieder 40 Minuten Verspätung. Danke für nichts! #Bahnchaos #DeutscheBahn @DB_Bahn',
  // Early, the rarest branches (functions optimise during the warm-up too), but not first: V8
  // records what a function does only from its first few calls on (lazy feedback allocation).
  // Capitals, letters of other scripts, apostrophes and elisions, stars inside a word, the
  // possessive of a lexicon word, hashtags starting with an umlaut, holding ß or Cyrillic.
  "WARUM NUR Ärger?! Москва l'ordinateur d'Artagnan qu'il he'd we've don’t Jim's idiot's stu*pid #Ärgernis #Straßenbahn #Москва",
  // German: a participle of an unknown stem, an intensifying prefix before an inflected word.
  'Gequatscht und gezockt, oberpeinlichen Auftritt hingelegt',
  // Verb-final negation, weder … noch, emoticon.
  'Das gefällt mir nicht. Der Support antwortet nicht und das Produkt ist weder gut noch billig :-(',
  // Elongation, emphasis stars, ellipsis, "/s".
  'Suuuuper Service, wirklich *großartig* … /s',
  // Stemming (inflection, comparatives, participles) and compounds.
  'Die schlechteren Nachrichten: geärgert, enttäuschende Kundenfreundlichkeit, Riesenärger und Unverschämtheit!',
  'Unglaublich schlechte Kundenbetreuung, unfreundliche Mitarbeiter, kaputte Geräte und verspätete Lieferungen – Geldverschwendung!',
  'Die Preiserhöhung ist eine Frechheit, die Tarifänderungen sind Abzocke und der Kundenservice eine Katastrophe.',
  'Wunderschöne Landschaften, herzliche Gastgeber, leckeres Essen: ein traumhafter Urlaub, absolut empfehlenswert!',
  'Gestern verärgert, heute beruhigt; morgen hoffentlich zufriedener. Verbesserungen angekündigt, Entschuldigung angenommen.',
  'Megapeinlich, saublöd, oberpeinlich und stinklangweilig war die Pressekonferenz der Vorstandsvorsitzenden.',
  // Capitals, '?!', angry emoticon, URLs.
  'WARUM IST DAS SO TEUER?! Ich kündige sofort!!! >:( https://example.com/x?y=1 www.test.de',
  // Insults addressed to someone, angry emoji, snake_case hashtag.
  'Ihr seid alle Idioten und Vollpfosten, verpisst euch 😡🤬 #Rücktritt #boykott_jetzt',
  'Hetze, Beleidigungen, Drohungen und Lügenpresse-Rufe: widerliche Kommentare unter dem Beitrag #Hasskommentare',
  // Upper-case umlauts, ß, German and French quotation marks, dash.
  'Fußball heute: Österreich gegen Schweiz, Ärger über Übertragung; „sehr schwach“ — «schade»',
  '#Sarkasmus an: Tolle Leistung, wirklich klasse gemacht. Großartig.',
  // A short positive coda after a complaint.
  'Schlecht. Toll gemacht.',
  'Danke an alle Helfer*innen für die tolle Unterstützung beim Sommerfest 🎉🙏 #Ehrenamt #Zusammenhalt',
  'Kunde: "Die App stürzt ständig ab" (seit dem Update) [bitte fixen] {danke} | Grüße aus München',
  // English: typographic apostrophe, censored words, hashtag compounds, stemming.
  'I don’t like this at all, it\'s the worst!!! f***ing scam, sh*t company #EpicFail #neverAgain',
  'The happiest, luckiest, cheapest and nicest thing: they tried, dying, loved it, quickly fixed stuff.',
  'Meh. Not great, not terrible; but honestly? Really disappointing and absolutely horrible.',
  'You guys are pathetic losers, shut up. Worst customer service ever... smh',
  'Terrible experience: rude staff, broken promises, delayed refunds and cancelled flights. Absolutely unacceptable!',
  'Beautiful scenery, friendly hosts, delicious food and amazing weather — wonderful holiday, highly recommended!',
  'These idiots keep lying, cheating and stealing; boycott them and fire the CEO now #BoycottNow #FireHim',
  'Worried, annoyed, frustrated, angry, disappointed... the worst week ever, nothing works and nobody cares',
  // Emoticons, skin tone, flag, symbols.
  "lol this is sooo good :D love it <3 ^^ ;) :P :/ :* ^_^ </3 =) :'( 👍🏽 🇩🇪 ❤ ☀ ✅",
  // Other languages and undecided posts (the ELD fallback), other scripts.
  'ok lol', 'Hola que tal amigos, ¿cómo están? ¡Muy bien!', 'Ciao amici, come state? Tutto bene grazie',
  "Bonjour à tous, c'est vraiment très bien aujourd'hui, l'équipe d'Anne", 'Hallo allemaal, het is echt heel mooi vandaag',
  'Привет как дела 😀 Γειά σου κόσμε',
  // Mentions with dots, e-mail addresses, times, numeric hashtags; nearly empty posts.
  'e-mail: max.mustermann@example.org, Termin um 20:30 - Thema: Kosten',
  'rt @user_1: RT this NOW!!!!! #2024 #100DaysOfCode #fail', '😂😂😂', '#', '!!!', '', 'a',
];

/** Every language the analysis treats differently: detected, German, English, undetermined (both lexicons), another. */
const LANGS = [null, 'de', 'en', 'und', 'fr'] as const;

/** Runs the analysis over the texts above once in each mode, then empties the word table. */
export function warmUp(): void {
  for (const t of TEXTS) for (const l of LANGS) analyseText(t, l);
  resetWordTable();
}
