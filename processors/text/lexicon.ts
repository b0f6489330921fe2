/*
 * Sentiment, toxicity and modifier lexicons for German and English social-media text.
 *
 * These word lists and weights are original work, written by hand for trendstream. They are
 * not derived from SentiWS, AFINN, NRC, VADER, SentiWordNet or any other published data set,
 * and they are licensed with the project under the Apache License, Version 2.0.
 *
 * Conventions
 * - Sentiment weights are in -1..1, toxicity weights in 0..1.
 * - Blocks are written as `weight | word word ...`; words are folded with `fold()` (NFKC + full
 *   case folding, so `ß` becomes `ss`) when the module loads. Lookups must fold the same way.
 * - German entries are lemmas or bare stems (e.g. `enttäusch`, `nerv`); `sentiment.ts` strips
 *   inflection suffixes (-e, -en, -er, -es, -em, -s, -n, -t, -st, -ung, -end …) before lookup,
 *   so `enttäuschende`, `enttäuscht` and `Enttäuschung` all reach `enttäusch`.
 * - English entries are base forms; `sentiment.ts` strips -s, -ed, -ing, -ly, -er, -est.
 * - Everything here is built once at module load; nothing is allocated per call.
 */
import { fold } from '../../schemas/normalise.js';

/** Sentiment (s, -1..1) and toxicity (t, 0..1) of a word or phrase. */
export interface LexEntry {
  readonly s: number;
  readonly t: number;
}

/** A multi-word expression, matched on consecutive folded tokens within one clause. */
export interface Phrase {
  /** All words of the phrase, folded; the first one is the key it is filed under. */
  readonly words: readonly string[];
  readonly s: number;
  readonly t: number;
  /** Multiplier for the next sentiment word (diminishers such as "a bit"); 0 when not a modifier. */
  readonly mult: number;
  /** Marks irony ("na super", "oh great"): positive words around it are read as negative. */
  readonly sarcasm: boolean;
}

export interface LanguageLexicon {
  readonly words: ReadonlyMap<string, LexEntry>;
  readonly phrases: ReadonlyMap<string, readonly Phrase[]>;
  readonly negators: ReadonlySet<string>;
  /** Word → multiplier (> 1 intensifies, < 1 diminishes) for the following sentiment word. */
  readonly intensifiers: ReadonlyMap<string, number>;
  /** "but"-type words: what follows outweighs what precedes. */
  readonly contrast: ReadonlySet<string>;
  /** Words with sentiment only when negated ("funktioniert nicht", "no signal"): value when negated. */
  readonly negOnly: ReadonlyMap<string, number>;
  readonly secondPerson: ReadonlySet<string>;
  /** Compound heads/modifiers: stems recognised at the end / start of longer words or hashtags. */
  readonly compoundSuffix: readonly (readonly [string, LexEntry])[];
  readonly compoundPrefix: readonly (readonly [string, LexEntry])[];
  /** Prefixes that intensify the rest of the word ("stinksauer", "megageil"). */
  readonly intensPrefix: readonly (readonly [string, number])[];
}

// ---------------------------------------------------------------------------------------------
// Builders

type Mut = { s: number; t: number };

function parseBlock(src: string, into: Map<string, Mut>, field: 's' | 't', defaultS: number): void {
  for (const raw of src.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) continue;
    const bar = line.indexOf('|');
    if (bar < 0) throw new Error(`lexicon: bad line ${line}`);
    const w = Number(line.slice(0, bar));
    if (!Number.isFinite(w)) throw new Error(`lexicon: bad weight in ${line}`);
    for (const word of line.slice(bar + 1).trim().split(/\s+/)) {
      if (word === '') continue;
      const key = fold(word);
      let e = into.get(key);
      if (!e) {
        e = { s: field === 's' ? 0 : defaultS, t: 0 };
        into.set(key, e);
      }
      e[field] = w;
    }
  }
}

function words(s: string): string[] {
  return s.trim().split(/\s+/).filter((w) => w !== '').map(fold);
}

type PhraseSpec = readonly [text: string, s: number, t?: number, flag?: 'sarc' | 'mult', mult?: number];

function buildPhrases(specs: readonly PhraseSpec[]): Map<string, Phrase[]> {
  const out = new Map<string, Phrase[]>();
  for (const [text, s, t = 0, flag, mult = 0] of specs) {
    const ws = words(text);
    const first = ws[0];
    if (first === undefined || ws.length < 2) throw new Error(`lexicon: bad phrase ${text}`);
    const p: Phrase = { words: ws, s, t, mult: flag === 'mult' ? mult : 0, sarcasm: flag === 'sarc' };
    const list = out.get(first) ?? [];
    list.push(p);
    out.set(first, list);
  }
  // Longest first, so "nie wieder ohne" wins over "nie wieder".
  for (const list of out.values()) list.sort((a, b) => b.words.length - a.words.length);
  return out;
}

function numMap(src: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const raw of src.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) continue;
    const bar = line.indexOf('|');
    const w = Number(line.slice(0, bar));
    for (const word of words(line.slice(bar + 1))) m.set(word, w);
  }
  return m;
}

function stemList(src: string, tox: ReadonlyMap<string, number> = new Map()): [string, LexEntry][] {
  const out: [string, LexEntry][] = [];
  for (const [stem, s] of numMap(src)) out.push([stem, { s, t: tox.get(stem) ?? 0 }]);
  // Longest stems first: the most specific match wins.
  out.sort((a, b) => b[0].length - a[0].length);
  return out;
}

function freeze(m: Map<string, Mut>): Map<string, LexEntry> {
  return m as Map<string, LexEntry>;
}

// ---------------------------------------------------------------------------------------------
// German

const DE_SENTIMENT = `
0.9 | weltklasse erstklassig überragend sensationell phänomenal grandios fantastisch phantastisch
0.9 | hervorragend ausgezeichnet exzellent traumhaft himmlisch überglücklich weltbeste
0.8 | großartig genial perfekt wunderbar wunderschön brillant fabelhaft herausragend einwandfrei
0.8 | tadellos vorbildlich begeister liebenswert bombastisch hammergeil oberhammer geilste
0.7 | toll super klasse spitze top geil lecker köstlich herrlich bestens beste bester bestes
0.7 | empfehlenswert lobenswert glücklich begeistert herzlich liebevoll bravo yay juhu hurra
0.7 | beeindruck beeindruckend beeindruckt mitreißend lieblingsladen astrein
0.7 | schönste traum hammer knaller wahnsinnsleistung dufte knorke famos hochwertig
0.6 | prima gut gute guter gutes guten schön hilfsbereit zuvorkommend froh fröhlich zufrieden
0.6 | gelungen gelingt erfolg erfolgreich sieg siegreich gewonnen glückwunsch gratulation
0.6 | gratuliere empfehlung empfehle empfehlen empfohlen empfiehlt genießen genieße genossen
0.6 | genuss freude vorfreude spaß lohnenswert sehenswert hilfreich dankbar lob loben gelobt
0.6 | respekt kompetent zuverlässig reibungslos problemlos unkompliziert angenehm sympathisch
0.6 | charmant kulant kulanz großzügig erleichtert wohlfühlen wohlgefühlt optimal lieben
0.6 | liebt gefällt gefallen gefiel cool nice happy highlight feier feiern
0.6 | legendär überzeugend überzeugt überzeug inspirierend glanzleistung meisterleistung
0.6 | traumtor aufstieg verdient souverän stark starke starker starkes stolz heldin held
0.5 | nett freundlich freundlichkeit höflich geduldig engagiert professionell schnell flott
0.5 | zügig pünktlich bequem gemütlich komfortabel sauber günstig preiswert fair lustig witzig
0.5 | spannend interessant clever schlau elegant stilvoll schick intuitiv praktisch nützlich
0.5 | gesund positiv ideal freu freut freue gefreut mag mögen magst gelöst behoben
0.5 | geholfen verbessert verbesserung gewinner meister legende kult lächeln lachen entspannt
0.5 | entspannend erholsam kuschelig süß romantisch charme danke dankeschön
0.5 | innovativ modern solide robust langlebig schnäppchen lohnt gratulieren begrüßenswert
0.5 | erfreulich erfreut belohnt belohnung geschafft gerettet rettung willkommen
0.4 | dank bedanke bedanken danken hoffnung hoffe passt flüssig ruhig fit gewinnen
0.4 | siegen sympathie wow wahnsinn unterstützung unterstützt lösung gratis
0.4 | frisch gemocht umarmung schätze geschätzt wertvoll wertschätzung
0.4 | herzlichkeit besserung lieb liebe spende spenden gespendet tor tore punktgewinn
0.3 | besser ordentlich passabel akzeptabel interessiert neugierig
0.3 | qualität vernünftig korrekt klappt funktioniert hoffentlich chance chancen
0.2 | sonnig sonne krass endlich gefunden gerne gern
0.15 | sicher
0.1 | ok okay
-0.15 | naja
-0.1 | verschoben
// negative
-0.9 | katastrophal unerträglich ekelhaft widerlich grauenhaft grauenvoll entsetzlich abscheulich
-0.9 | menschenverachtend nervtötend unterirdisch desaströs skandalös albtraum alptraum
-0.8 | furchtbar schrecklich fürchterlich miserabel katastrophe desaster debakel fiasko
-0.8 | unzumutbar inakzeptabel unakzeptabel unverschämt unverschämtheit frechheit zumutung
-0.8 | eklig ungenießbar unbrauchbar wertlos hass hassen hasse hasst gehasst abzocke abzocken
-0.8 | abgezockt betrug betrogen betrügen schlimmste schlechteste horror hölle schande
-0.8 | rassistisch sexistisch diskriminierend hetze ruiniert ruinieren zerstört verarscht
-0.8 | verarsche verarschen skandal empörend inkompetent inkompetenz unfähig unfähigkeit
-0.7 | mies miese mieser mieses schlimm übel grausam ätzend enttäusch enttäuschend enttäuscht
-0.7 | enttäuschung wut wütend zornig zorn frustrier frustrierend frustriert empör empört
-0.7 | verärger verärgert stinksauer peinlich beschämend blamage lächerlich lüge lügen gelogen
-0.7 | verlogen korrupt korruption untragbar unfreundlich unhöflich respektlos dreist
-0.7 | versagt versagen gescheitert scheitern kaputt defekt schrott müll mist scheiße scheiß
-0.7 | scheisse kacke dreck nutzlos überteuert wucher unzufrieden sauerei schweinerei
-0.7 | unfair ungerecht gefährlich verzweifelt verzweiflung elend traurig mangelhaft ungenügend
-0.7 | pfusch gepfuscht murks reinfall flop fehlschlag entsetz entsetzt schockiert fassungslos
-0.7 | heuchlerisch gierig gier ahnungslos arrogant arroganz ignorant lahmgelegt abzocker
-0.6 | schlecht schlechter schlechte schlechten schlechtes ärgerlich ärger ärgern ärgert
-0.6 | geärgert sauer genervt nervig nerv nervt nervend stressig chaos chaotisch langweilig
-0.6 | öde lahm schwach dürftig hässlich absurd beschädigt unglücklich unangenehm kotzen
-0.6 | bescheuert blöd dämlich dumm schwachsinn blödsinn vermasselt verbockt verkackt vergeigt
-0.6 | unzuverlässig unpünktlich überfüllt verspätung verspätet verspätungen niederlage pleite
-0.6 | ausgefallen ausfall störung gestört panne pannen problematisch unnötig
-0.6 | sinnlos rückschritt verschlechtert verschlechterung absturz abgestürzt abstürzen
-0.6 | zerstören verschwunden verloren verlieren enttäuschende unverständlich unmöglich
-0.6 | angst schmerz schmerzhaft krise lachnummer witzfigur saftladen sauladen dreckladen
-0.6 | bruchbude ramsch pfui gegentor gegentore abstieg jämmerlich erbärmlich armselig
-0.6 | verwahrlost dreckig schmutzig unsauber lauwarm labberig versalzen verbrannt
-0.5 | leider schade bedauerlich bedauer traurigkeit fehler fehlerhaft problem
-0.5 | probleme mangel unzureichend langsam träge umständlich unübersichtlich teuer teurer
-0.5 | unbezahlbar gestrichen storniert abgesagt annulliert gesperrt ignoriert ignorieren
-0.5 | verweigert unbequem besorgt sorge ängstlich gefahr bitter heulen weinen müde erschöpft
-0.5 | warteschleife kündigen kündige kündigt gekündigt verpasst verpassen stau fad fade
-0.5 | geschmacklos daneben hinüber mittelmaß mittelmäßig verwirrend verwirrt schockier schock
-0.5 | erschreck erschreckend kritik kritisieren beschwerde beschweren beschwer reklamation
-0.5 | frust feige lasch krank verletzt verletzung quatsch unsinn doof blamiert ruckelt
-0.5 | flaute nass lächerlichkeit pech mistwetter regenwetter
-0.4 | stress kompliziert teuerer gebühr gebühren versteckt versteckte nachzahlung mahnung streik
-0.4 | streiks streiken streikt verzögerung verzögert verzögerungen fehlt fehlen eng
-0.4 | billig egal uninteressant anstrengend mühsam schwierig schwer knapp
-0.4 | erhöhung preiserhöhung abzug verlust verluste skeptisch zweifel zweifelhaft
-0.4 | witz wartezeit ewig obsoleszenz vergessen vergisst
-0.3 | warten wartet regen regnet kalt kälte hitze dunkel lärm baustelle
-0.3 | umleitung ersatzverkehr schienenersatzverkehr durchschnittlich unklar
-0.3 | ausverkauft bauarbeiten
0 | tretet rausschmeißen rauswerfen rausgeschmissen
`;

const DE_TOXIC = `
0.95 | hurensohn hurensöhne fick ficken fickt
0.9 | arschloch arschlöcher wichser drecksack drecksäcke abschaum vollidiot vollidioten
0.9 | missgeburt drecksau scheißkerl
0.8 | idiot idioten vollpfosten volltrottel penner schwachkopf dummkopf arschgeige miststück
0.8 | gesindel verpisst verpiss versager abzocker betrüger lügner halsabschneider
0.8 | gauner verbrecher heuchler hohlkopf blödmann trottel depp deppen hackfresse spasti
0.75 | saftladen sauladen dreckladen drecksverein drecksladen dreckspack witzfigur lachnummer
0.7 | fresse schmarotzer parasit parasiten lump lumpen pack kriminelle kriminell mafia
0.7 | nichtsnutz loser lusche luschen clown clowns kasper pfeife pfeifen spinner bande
0.6 | schande verlogen verlogenes korrupt korrupte inkompetent unfähig dumm dämlich boykott
0.6 | boykottiert boykottieren boykottiere boykottaufruf rücktritt zurücktreten
0.5 | bescheuert abzocke widerlich schwachsinn verarsche verarscht sauerei schweinerei
0.5 | blöd peinlich arrogant gierig ratte ratten schwein schweine maul schnauze
0.4 | scheiß scheiße scheisse kacke kotzen lächerlich dreist heuchlerisch ekelhaft
0.3 | mist dreck schrott müll unverschämt frechheit erbärmlich armselig jämmerlich
0.3 | ahnungslos respektlos rausschmeißen rausgeschmissen rauswerfen tretet
0.2 | verdammt verdammte verdammten verflucht shitstorm pleite blamage versagt versagen
`;

const DE_PHRASES: readonly PhraseSpec[] = [
  ['nie wieder', -0.6],
  ['niemals wieder', -0.7],
  ['nie mehr', -0.4],
  ['nie wieder ohne', 0.6],
  ['danke für nichts', -0.7],
  ['danke für nix', -0.7],
  ['vielen dank für nichts', -0.7],
  ['na super', -0.5, 0, 'sarc'],
  ['na toll', -0.5, 0, 'sarc'],
  ['na klasse', -0.5, 0, 'sarc'],
  ['na prima', -0.5, 0, 'sarc'],
  ['na bravo', -0.5, 0, 'sarc'],
  ['na danke', -0.4, 0, 'sarc'],
  ['geht so', -0.05],
  ['geht doch', 0.4],
  ['geht gar nicht', -0.6],
  ['läuft bei mir', 0.6],
  ['läuft bei dir', 0.5],
  ['läuft bei uns', 0.5],
  ['kein problem', 0.1],
  ['kein thema', 0.1],
  ['keine probleme', 0.35],
  ['in ordnung', 0.1],
  ['alles gut', 0.4],
  ['alles klar', 0.1],
  ['unter aller sau', -0.8, 0.3],
  ['zum kotzen', -0.8, 0.3],
  ['zum heulen', -0.6],
  ['zum davonlaufen', -0.6],
  ['zum verzweifeln', -0.6],
  ['das letzte', -0.7, 0.55],
  ['das allerletzte', -0.8, 0.6],
  ['schäm dich', -0.5, 0.6],
  ['schämt euch', -0.5, 0.6],
  ['schämen sie sich', -0.5, 0.6],
  ['hau ab', -0.5, 0.55],
  ['haut ab', -0.5, 0.55],
  ['leck mich', -0.6, 0.7],
  ['fick dich', -0.9, 0.95],
  ['fickt euch', -0.9, 0.95],
  ['halt die fresse', -0.7, 0.8],
  ['halt dein maul', -0.7, 0.8],
  ["halt's maul", -0.7, 0.8],
  ['hut nehmen', -0.3, 0.4],
  ['tretet zurück', -0.4, 0.5],
  ['tritt zurück', -0.4, 0.5],
  ['finger weg', -0.6],
  ['schuss nicht gehört', -0.6, 0.4],
  ['nicht mehr normal', -0.5],
  ['fass es nicht', -0.5],
  ['kann nicht mehr', -0.3],
  ['schade ums geld', -0.6],
  ['geld wert', 0.4],
  ['hin und her', -0.3],
  ['ohne ende', 0],
  ['nix auf die reihe', -0.6, 0.2],
  ['nichts auf die reihe', -0.6, 0.2],
  ['nichts gebacken', -0.6, 0.2],
  ['nix gebacken', -0.6, 0.2],
  ['schon wieder', -0.3],
  ['mal wieder', -0.2],
  ['wieder mal', -0.2],
  ['gut gemacht', 0.6],
  ['toll gemacht', 0.6],
  ['super gemacht', 0.6],
  ['hut ab', 0.7],
  ['daumen hoch', 0.6],
  ['daumen runter', -0.6],
  ['gerne wieder', 0.6],
  ['gern wieder', 0.6],
  ['immer wieder gerne', 0.7],
  ['komme wieder', 0.4],
  ['kommen wieder', 0.4],
  ['so muss das', 0.5],
  ['so geht service', 0.6],
  ['wie zu hause', 0.4],
  ['ich liebe', 0.7],
  ['wir lieben', 0.7],
  ['tut mir leid', -0.2],
  ['fällt aus', -0.5],
  ['fallen aus', -0.5],
  ['fiel aus', -0.5],
  ['stürzt ab', -0.6],
  ['keine ahnung', -0.05],
  ['kein wunder', -0.2],
  ['wie dreck', -0.6, 0.3],
  ['vielen dank', 0.5],
  ['herzlichen dank', 0.6],
  ['großes lob', 0.7],
  ['fühlt sich gut an', 0.5],
  ['mittel zum zweck', 0],
  ['ein bisschen', 0, 0, 'mult', 0.6],
  ['ein wenig', 0, 0, 'mult', 0.7],
  ['ein bissl', 0, 0, 'mult', 0.6],
];

const DE_NEGATORS = 'nicht nich net kein keine keinen keinem keiner keines keins nie niemals ohne weder nichts nix niemand kaum nirgends nimmer';

const DE_INTENSIFIERS = `
1.5 | extrem mega absolut äußerst außerordentlich unglaublich unfassbar wahnsinnig zutiefst ultra
1.5 | unheimlich irre höllisch brutal
1.4 | total völlig vollkommen super sau richtig tierisch krass dermaßen höchst hammer
1.3 | sehr voll komplett wirklich echt derart besonders massiv
1.3 | stark schwer tief heftig enorm ungemein verdammt
1.2 | so gar arg zu einfach absolute absoluter absolutes totaler totales totale hoch
1.1 | ziemlich viel immer ganz recht durchaus
0.8 | eher relativ fast
0.7 | etwas leicht weniger
0.6 | bisschen bissl halbwegs einigermaßen ansatzweise
`;

const DE_CONTRAST = 'aber jedoch allerdings dennoch trotzdem sondern';

const DE_NEG_ONLY = `
-0.5 | funktioniert funktionieren funktionierte geht ging klappt klappte lief hilft half
-0.5 | geholfen erstattet erstatten antwortet antworten geantwortet reagiert reagieren
-0.5 | angekommen ankommen gekommen kommt lohnt gelohnt geschmeckt schmeckt zuständig
-0.5 | verantwortlich kümmert gekümmert interessiert erreichbar erreicht
-0.4 | internet netz empfang wlan signal info infos information informationen antwort
-0.4 | rückmeldung durchsage reaktion entschuldigung lust bock hilfe chance erstattung
-0.4 | begründung grund erklärung service ersatz anschluss
`;

const DE_SECOND_PERSON = 'du dich dir dein deine deinen deinem deiner ihr euch euer eure euren eurem eurer';

const DE_COMPOUND_SUFFIX = `
-0.7 | chaos wüste katastrophe desaster skandal schrott horror albtraum alptraum hölle debakel
-0.7 | fiasko abzocke betrug versagen
-0.6 | frust ärger dreck pleite ausfall ausfälle stress elend verspätung verspätungen müll
-0.5 | störung störungen wucher shitstorm
-0.3 | streik erhöhung gebühr gebühren stau regen
0.6 | freude glück genuss erfolg highlight
0.5 | spaß traum
`;

const DE_COMPOUND_PREFIX = `
-0.7 | scheiß scheiss drecks horror katastrophen skandal abzock
-0.6 | dreck mist chaos pannen schrott frust lügen hass ekel kack pleite schand
-0.5 | boykott
0.6 | traum lieblings
0.4 | spitzen glücks
`;

const DE_COMPOUND_TOX = new Map<string, number>([
  ['drecks', 0.6], ['scheiß', 0.35], ['scheiss', 0.35], ['abzock', 0.5], ['abzocke', 0.4],
  ['lügen', 0.4], ['schrott', 0.25], ['boykott', 0.6], ['kack', 0.3], ['betrug', 0.3],
].map(([k, v]) => [fold(k as string), v as number]));

const DE_INTENS_PREFIX = `
1.5 | mega hyper ultra sau stink tod grotten affen stock
1.4 | super ober mords riesen voll erz hoch
`;

// ---------------------------------------------------------------------------------------------
// English

const EN_SENTIMENT = `
0.9 | outstanding phenomenal spectacular exceptional superb magnificent masterpiece flawless
0.9 | breathtaking marvelous marvellous terrific stellar sublime
0.8 | excellent amazing awesome fantastic wonderful brilliant perfect incredible fabulous
0.8 | stunning delighted thrilled delicious love loved loving loves lovin adore adored
0.8 | heavenly beautifully brilliantly perfectly impeccable immaculate exquisite chuffed stoked
0.7 | great best beautiful gorgeous lovely impressive excited genius epic legendary
0.7 | tasty yummy happy enjoyed enjoy enjoying proud glad grateful thankful recommend
0.7 | recommended wholesome joy joyful blessed congrats congratulations kudos bravo fab
0.7 | fave favourite favorite fav hooray hurray woohoo yay banger bussin slaps dope rocks
0.6 | good nice cool fun pleased satisfied impressed helpful friendly kind sweet cute
0.6 | adorable charming smooth smoothly seamless effortless reliable efficient thanks thank
0.6 | thx appreciate appreciated appreciative respect win wins winner victory won success
0.6 | successful hero heroes legend champion champions cheerful pleasant pleasantly
0.6 | comfy comfortable cozy cosy relaxing refreshing inspiring spotless wow worthwhile
0.6 | glorious treat gem bargain hilarious lit
0.5 | funny fast quick speedy easy intuitive polite patient courteous attentive
0.5 | welcoming generous hospitable knowledgeable professional punctual affordable fair
0.5 | solved resolved sorted fixed helped improved improvement innovative elegant sleek
0.5 | stylish clean worth healthy safe positive optimistic hopeful relieved relief lucky
0.5 | celebrate celebrating celebration deserved deserve clutch keen excite exciting
0.5 | interesting peaceful calm relaxed fresh useful handy practical valuable ace
0.5 | cracking smashing buzzing pumped hyped lush obsessed vibes shoutout praise praised
0.5 | applause cheers haha lmao rofl xd goat paradise dream dreamy goosebumps admire
0.4 | better nicely warm decent solid upgraded welcome hope secure
0.4 | promising gladly happily fortunately luckily honest transparent bonus unreal
0.3 | fan lol special reasonable progress
0.2 | fine alright simple finally
0.1 | ok okay upgrade
-0.25 | meh
-0.4 | missed
// negative
-0.9 | worst atrocious abysmal appalling horrendous disgusting vile repulsive unbearable
-0.9 | unacceptable inexcusable unusable unwatchable inedible nightmare catastrophic
-0.8 | terrible horrible awful dreadful disaster disastrous catastrophe furious livid outraged
-0.8 | disgraceful shameful disgrace pathetic hate hated hates hating despise scam scams
-0.8 | scammed fraud fraudulent ripoff rip-off incompetent incompetence useless worthless
-0.8 | ruined ruin heartbroken devastated miserable horrific hideous gross filthy rubbish
-0.7 | bad crap crappy shit shitty sucks suck sucked lame garbage trash junk broken
-0.7 | disappointed disappointing disappointment frustrated frustrating infuriating angry
-0.7 | pissed annoyed annoying irritating rude unfriendly unhelpful unprofessional
-0.7 | disrespectful overpriced greedy greed corrupt liar lying lies lied cheated cheat
-0.7 | misleading deceptive embarrassing embarrassment ridiculous laughable outrageous
-0.7 | painful fail failed fails failure failing mess chaos chaotic hell robbed rigged
-0.7 | stranded cancelled canceled crashed crashing crashes outage outages unreliable
-0.7 | damaged destroyed wasted waste regret stupid dumb idiotic ugly sad unhappy depressing
-0.7 | downgrade overcharged upset poor hopeless helpless pointless cringe yuck ew eww
-0.6 | worse boring bored dull tasteless soggy stale burnt undercooked dirty smelly
-0.6 | nasty messy buggy glitchy laggy slow sluggish delayed delay delays late
-0.6 | lost losing loss lose defeat problem problems trouble troubles stuck overcrowded
-0.6 | crowded cramped noisy unfair unjust unjustified unreasonable uncomfortable awkward
-0.6 | worried worry scary scared afraid fear dangerous unsafe hurt hurts pain suffering
-0.6 | annoyance complaint complaints complain hike mistake mistakes wrong error
-0.6 | errors bug bugs glitch freezes froze freeze crash overheats overheat drain drains
-0.6 | cancel cancellation cancellations ignored ignoring unanswered nonexistent broke
-0.6 | ugh argh smh facepalm yikes bs bullshit nonsense clueless careless joke
-0.5 | expensive pricey shabby sorry unfortunately sadly concerning concern risky weird
-0.5 | strike strikes queue queues forever tired exhausted sick dead died
-0.5 | mediocre mid bland shaky confusing confused complicated hassle
-0.5 | unclear doubt doubtful skeptical suspicious sketchy dodgy shady nah oof damn dammit
-0.4 | fees fee hidden missing gone crack cracked dropped rain traffic
-0.4 | struggling struggle hard difficult tough nope stress stressed
-0.6 | stressful
-0.3 | waiting hold queueing average mixed hmm
0 | fucking fuckin f***ing effing bloody
`;

const EN_TOXIC = `
0.95 | motherfucker motherfuckers cunt cunts
0.9 | asshole assholes arsehole arseholes scumbag scumbags scum bastard bastards dickhead
0.9 | wanker wankers twat twats prick pricks
0.8 | idiot idiots moron morons imbecile imbeciles halfwit halfwits dimwit dimwits retards
0.8 | crook crooks scammer scammers liar liars thieves thief parasite parasites braindead
0.8 | douchebag douchebags jackass jackasses stfu
0.7 | clown clowns muppet muppets loser losers jerk jerks fool fools hypocrite hypocrites
0.7 | coward cowards leech leeches numpty numpties dick dicks frauds
0.6 | fraud scam scams scammed stupid dumb dumbest idiotic moronic pathetic disgrace
0.6 | disgraceful shameful trash garbage incompetent boycott boycotting boycotted
0.5 | resign resignation rubbish useless worthless fraudulent ripoff greedy corrupt
0.5 | lying clueless ashamed
0.45 | fuck fucked fucks f*** f*ck f**k fck
0.4 | bullshit bs disgusting pigs pig rats rat snake snakes weasel weasels
0.3 | shit shitty crap crappy wtf ffs lies lied pissed hell laughable cringe
0.25 | fucking fuckin f***ing effing
0.2 | damn dammit bloody joke embarrassing incompetence fired rude
`;

const EN_PHRASES: readonly PhraseSpec[] = [
  ['never again', -0.6],
  ['thanks for nothing', -0.7],
  ['thank you for nothing', -0.7],
  ['oh great', -0.5, 0, 'sarc'],
  ['oh wonderful', -0.5, 0, 'sarc'],
  ['oh joy', -0.4, 0, 'sarc'],
  ['oh perfect', -0.4, 0, 'sarc'],
  ['just great', -0.3, 0, 'sarc'],
  ['yeah right', -0.4, 0, 'sarc'],
  ['love that for me', -0.4, 0, 'sarc'],
  ['great job', 0.6],
  ['good job', 0.6],
  ['well done', 0.6],
  ['well played', 0.6],
  ['well deserved', 0.6],
  ['nice one', 0.5],
  ['top notch', 0.7],
  ['you rock', 0.6],
  ["can't complain", 0.5],
  ['cannot complain', 0.5],
  ['cant complain', 0.5],
  ["can't wait", 0.5],
  ['cannot wait', 0.5],
  ['no worries', 0.1],
  ['no problem', 0.1],
  ['no problems', 0.35],
  ['not worth', -0.6],
  ['waste of', -0.6],
  ['fed up', -0.6],
  ['sick of', -0.6],
  ['tired of', -0.5],
  ['done with', -0.4],
  ['rip off', -0.8, 0.4],
  ['ripped off', -0.8, 0.4],
  ['hung up', -0.5],
  ['on hold', -0.3],
  ['let down', -0.6],
  ['fell apart', -0.6],
  ['falls apart', -0.6],
  ['fall apart', -0.6],
  ['went wrong', -0.5],
  ['out of order', -0.5],
  ['go to hell', -0.7, 0.75],
  ['shut up', -0.5, 0.6],
  ['screw you', -0.7, 0.8],
  ['fuck you', -0.9, 0.95],
  ['f you', -0.8, 0.9],
  ['f*** you', -0.9, 0.95],
  ['fuck off', -0.9, 0.95],
  ['piss off', -0.7, 0.8],
  ['get lost', -0.5, 0.5],
  ['brain dead', -0.7, 0.7],
  ['shame on you', -0.7, 0.65],
  ['should be ashamed', -0.6, 0.55],
  ['should be fired', -0.5, 0.5],
  ['step down', -0.3, 0.45],
  ['tone deaf', -0.6, 0.3],
  ['out of touch', -0.4],
  ['what a joke', -0.6, 0.3],
  ['clown show', -0.6, 0.6],
  ['nothing beats', 0.6],
  ['nothing special', -0.1],
  ['nowhere to be found', -0.5],
  ['hell yeah', 0.6],
  ['hell yes', 0.6],
  ["can't afford", -0.5],
  ['cannot afford', -0.5],
  ['cant afford', -0.5],
  ['quick question', 0],
  ['on time', 0.4],
  ['right on time', 0.5],
  ['for once', -0.1],
  ['worth it', 0.5],
  ['thank you', 0.5],
  ['i like', 0.4],
  ['we like', 0.4],
  ['like it', 0.4],
  ['big fan', 0.6],
  ['huge fan', 0.6],
  ['mixed feelings', -0.05],
  ["what's the point", -0.4],
  ['whats the point', -0.4],
  ["don't care", -0.5],
  ['dont care', -0.5],
  ["doesn't care", -0.5],
  ['no way', -0.2],
  ['the worst', -0.9],
  ['kind of', 0, 0, 'mult', 0.7],
  ['sort of', 0, 0, 'mult', 0.7],
  ['a bit', 0, 0, 'mult', 0.7],
  ['a little', 0, 0, 'mult', 0.7],
  ['at all', 0, 0, 'mult', 1.3],
];

const EN_NEGATORS = `not no never without nor hardly barely scarcely neither nobody nothing none nowhere
  cannot cant dont doesnt didnt isnt wasnt arent werent couldnt wouldnt shouldnt havent hasnt hadnt
  wont aint`;

const EN_INTENSIFIERS = `
1.5 | extremely absolutely incredibly insanely utterly exceptionally ridiculously unbelievably fucking
1.5 | fuckin freaking friggin
1.4 | totally super truly highly deeply seriously awfully terribly bloody massively hella damn
1.4 | utter absolute
1.3 | very really so completely complete total pure massive huge proper genuinely especially
1.2 | way too most such literally real quite
1.05 | pretty
0.85 | fairly rather
0.8 | almost
0.7 | somewhat kinda sorta partly moderately
0.6 | slightly mildly marginally
`;

const EN_CONTRAST = 'but however nevertheless nonetheless';

const EN_NEG_ONLY = `
-0.5 | work works working worked help helps helped helping answer answered answering respond
-0.5 | responded arrived arrive show showed care cares cared fix fixed explain explained reply
-0.5 | replied refund refunded reached
-0.4 | signal wifi internet refund response reply explanation info information update
-0.4 | apology help support service water ac
`;

const EN_SECOND_PERSON = "you your you're youre yours yourself yourselves ya u ur yall y'all";

const EN_COMPOUND_SUFFIX = `
-0.7 | fail chaos scam disaster nightmare fraud
-0.6 | hate sucks outage fiasco
-0.5 | gate shame hell delay delays
-0.3 | strike
0.5 | win love goals
`;

const EN_COMPOUND_PREFIX = `
-0.5 | boycott delete
-0.6 | epicfail
`;

const EN_COMPOUND_TOX = new Map<string, number>([
  ['boycott', 0.6], ['delete', 0.5], ['scam', 0.5], ['fraud', 0.5], ['shame', 0.3],
]);

// ---------------------------------------------------------------------------------------------
// Assembly

function buildLanguage(spec: {
  sentiment: string;
  toxic: string;
  phrases: readonly PhraseSpec[];
  negators: string;
  intensifiers: string;
  contrast: string;
  negOnly: string;
  secondPerson: string;
  compoundSuffix: string;
  compoundPrefix: string;
  compoundTox: ReadonlyMap<string, number>;
  intensPrefix: string;
}): LanguageLexicon {
  const m = new Map<string, Mut>();
  parseBlock(spec.sentiment, m, 's', 0);
  parseBlock(spec.toxic, m, 't', -0.6);
  return {
    words: freeze(m),
    phrases: buildPhrases(spec.phrases),
    negators: new Set(words(spec.negators)),
    intensifiers: numMap(spec.intensifiers),
    contrast: new Set(words(spec.contrast)),
    negOnly: numMap(spec.negOnly),
    secondPerson: new Set(words(spec.secondPerson)),
    compoundSuffix: stemList(spec.compoundSuffix, spec.compoundTox),
    compoundPrefix: stemList(spec.compoundPrefix, spec.compoundTox),
    intensPrefix: [...numMap(spec.intensPrefix)].sort((a, b) => b[0].length - a[0].length),
  };
}

export const DE: LanguageLexicon = buildLanguage({
  sentiment: DE_SENTIMENT,
  toxic: DE_TOXIC,
  phrases: DE_PHRASES,
  negators: DE_NEGATORS,
  intensifiers: DE_INTENSIFIERS,
  contrast: DE_CONTRAST,
  negOnly: DE_NEG_ONLY,
  secondPerson: DE_SECOND_PERSON,
  compoundSuffix: DE_COMPOUND_SUFFIX,
  compoundPrefix: DE_COMPOUND_PREFIX,
  compoundTox: DE_COMPOUND_TOX,
  intensPrefix: DE_INTENS_PREFIX,
});

export const EN: LanguageLexicon = buildLanguage({
  sentiment: EN_SENTIMENT,
  toxic: EN_TOXIC,
  phrases: EN_PHRASES,
  negators: EN_NEGATORS,
  intensifiers: EN_INTENSIFIERS,
  contrast: EN_CONTRAST,
  negOnly: EN_NEG_ONLY,
  secondPerson: EN_SECOND_PERSON,
  compoundSuffix: EN_COMPOUND_SUFFIX,
  compoundPrefix: EN_COMPOUND_PREFIX,
  compoundTox: EN_COMPOUND_TOX,
  intensPrefix: '',
});

/**
 * For text whose language is undetermined: English entries, then German ones for words English
 * does not have. No stemming or compound analysis is applied with this lexicon.
 */
export const MIXED: LanguageLexicon = (() => {
  const w = new Map<string, LexEntry>(EN.words);
  for (const [k, v] of DE.words) if (!w.has(k)) w.set(k, v);
  const phrases = new Map<string, readonly Phrase[]>(EN.phrases);
  for (const [k, v] of DE.phrases) phrases.set(k, [...(phrases.get(k) ?? []), ...v].sort((a, b) => b.words.length - a.words.length));
  const union = <T>(a: ReadonlySet<T>, b: ReadonlySet<T>) => new Set<T>([...a, ...b]);
  const unionMap = <V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>) => {
    const out = new Map<string, V>(a);
    for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
    return out;
  };
  return {
    words: w,
    phrases,
    negators: union(EN.negators, DE.negators),
    intensifiers: unionMap(EN.intensifiers, DE.intensifiers),
    contrast: union(EN.contrast, DE.contrast),
    negOnly: new Map(),
    secondPerson: union(EN.secondPerson, DE.secondPerson),
    compoundSuffix: [],
    compoundPrefix: [],
    intensPrefix: [],
  };
})();

// ---------------------------------------------------------------------------------------------
// Emoji and emoticons (language independent)

/** Sentiment, arousal contribution, toxicity, sarcasm marker. */
export interface EmojiInfo {
  readonly s: number;
  readonly angry: boolean;
  readonly t: number;
  readonly sarcasm: boolean;
}

/** Pseudo code points (Unicode private use plane 15) used by the tokeniser for ASCII emoticons. */
export const EMOTICON = {
  smile: 0xf0001, laugh: 0xf0002, wink: 0xf0003, frown: 0xf0004, cry: 0xf0005, skeptical: 0xf0006,
  tongue: 0xf0007, heart: 0xf0008, brokenHeart: 0xf0009, angry: 0xf000a, happyEyes: 0xf000b,
} as const;

const EMOJI_SPEC: readonly (readonly [number | string, number, ('angry' | 'sarc')?, number?])[] = [
  // negative
  ['😡', -0.7, 'angry'], ['🤬', -0.8, 'angry', 0.15], ['😠', -0.6, 'angry'], ['😤', -0.5, 'angry'],
  ['👿', -0.6, 'angry'], ['💢', -0.5, 'angry'], ['🖕', -0.7, 'angry', 0.6], ['👎', -0.6],
  ['💩', -0.6, undefined, 0.1], ['🤮', -0.7], ['🤢', -0.6], ['😞', -0.5], ['😢', -0.5], ['😭', -0.35],
  ['😩', -0.5], ['😫', -0.5], ['😒', -0.4, 'sarc'], ['🙄', -0.4, 'sarc'], ['😑', -0.2], ['😖', -0.5],
  ['😣', -0.4], ['😓', -0.3], ['😔', -0.4], ['😕', -0.3], ['🙁', -0.4], ['☹', -0.5], ['💔', -0.6],
  ['🤦', -0.4], ['😱', -0.3], ['😬', -0.2], ['🤡', -0.4, undefined, 0.3], ['🙃', -0.2, 'sarc'],
  ['🥱', -0.3], ['😰', -0.4], ['😨', -0.4], ['😟', -0.4], ['😿', -0.4], ['🐌', -0.2], ['❌', -0.3],
  ['🚫', -0.3], ['⚠', -0.2], ['🥶', -0.2], ['🥵', -0.2], ['😪', -0.2], ['🤯', -0.2, 'angry'],
  // positive
  ['❤', 0.7], ['😍', 0.8], ['🥰', 0.8], ['🤩', 0.8], ['👍', 0.6], ['🙏', 0.4], ['🎉', 0.6], ['🎊', 0.6],
  ['😊', 0.6], ['☺', 0.5], ['🙂', 0.3], ['😀', 0.5], ['😃', 0.5], ['😄', 0.6], ['😁', 0.5], ['😆', 0.4],
  ['😂', 0.2], ['🤣', 0.2], ['😉', 0.3], ['😎', 0.5], ['😘', 0.6], ['🥳', 0.7], ['👏', 0.4], ['🙌', 0.6],
  ['💪', 0.5], ['✨', 0.3], ['🔥', 0.35], ['💯', 0.5], ['⭐', 0.4], ['🌟', 0.5], ['👌', 0.5], ['✅', 0.3],
  ['🏆', 0.5], ['💚', 0.6], ['💙', 0.6], ['💛', 0.6], ['💜', 0.6], ['🧡', 0.6], ['🖤', 0.3], ['🤍', 0.5],
  ['💕', 0.7], ['💖', 0.7], ['💗', 0.7], ['💓', 0.7], ['💞', 0.7], ['😇', 0.5], ['🤗', 0.6], ['🤝', 0.4],
  ['🍀', 0.3], ['🌞', 0.4], ['🥂', 0.5], ['🍾', 0.5], ['😌', 0.4], ['😋', 0.6], ['🤤', 0.3], ['😜', 0.3],
  ['😛', 0.2], ['😅', 0.1], ['🫶', 0.7], ['🥹', 0.4], ['💐', 0.5], ['🌈', 0.3], ['☀', 0.2], ['😻', 0.7],
  // emoticons
  [EMOTICON.smile, 0.5], [EMOTICON.laugh, 0.6], [EMOTICON.wink, 0.3], [EMOTICON.frown, -0.5],
  [EMOTICON.cry, -0.5], [EMOTICON.skeptical, -0.3], [EMOTICON.tongue, 0.2], [EMOTICON.heart, 0.6],
  [EMOTICON.brokenHeart, -0.6], [EMOTICON.angry, -0.7, 'angry'], [EMOTICON.happyEyes, 0.4],
];

/** Emoji and emoticon cues keyed by code point (emoticons by their pseudo code point). */
export const EMOJI: ReadonlyMap<number, EmojiInfo> = new Map(
  EMOJI_SPEC.map(([k, s, flag, t = 0]) => [
    typeof k === 'number' ? k : k.codePointAt(0)!,
    { s, angry: flag === 'angry', t, sarcasm: flag === 'sarc' },
  ]),
);
