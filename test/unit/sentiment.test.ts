import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectLanguage, tokenise, tokenWords } from '../../processors/text/language.js';
import { fold } from '../../schemas/normalise.js';
import { analyse, analyseText } from '../../processors/text/sentiment.js';
import type { TextScores } from '../../schemas/scores.js';

type Label = 'negative' | 'neutral' | 'positive';
interface Row {
  text: string;
  label: Label;
  toxic: boolean;
}

function load(lang: 'de' | 'en'): Row[] {
  const src = readFileSync(new URL(`../fixtures/sentiment-${lang}.ndjson`, import.meta.url), 'utf8');
  return src.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Row);
}

/** 3-class prediction: the analyser's own flags (sentiment <= -0.15 / >= 0.15). */
function predict(s: TextScores): Label {
  return s.negative ? 'negative' : s.positive ? 'positive' : 'neutral';
}

interface Metrics {
  n: number;
  accuracy: number;
  toxPrecision: number;
  toxRecall: number;
  toxTp: number;
  toxFp: number;
  toxFn: number;
  errors: { text: string; label: Label; got: Label; sentiment: number }[];
}

function evaluate(rows: Row[], lang: string | null): Metrics {
  let correct = 0, tp = 0, fp = 0, fn = 0;
  const errors: Metrics['errors'] = [];
  for (const r of rows) {
    const s = analyse(r.text, lang);
    const got = predict(s);
    if (got === r.label) correct++;
    else errors.push({ text: r.text, label: r.label, got, sentiment: Math.round(s.sentiment * 100) / 100 });
    if (s.toxic && r.toxic) tp++;
    else if (s.toxic) fp++;
    else if (r.toxic) fn++;
  }
  return {
    n: rows.length,
    accuracy: correct / rows.length,
    toxPrecision: tp + fp === 0 ? 1 : tp / (tp + fp),
    toxRecall: tp + fn === 0 ? 1 : tp / (tp + fn),
    toxTp: tp,
    toxFp: fp,
    toxFn: fn,
    errors,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

describe('sentiment fixtures (hand-labelled)', () => {
  const results: Record<string, Metrics> = {};
  const table: Record<string, Record<string, string | number>> = {};

  for (const lang of ['de', 'en'] as const) {
    const rows = load(lang);
    const cut = Math.floor(rows.length * 0.6);
    const splits: [string, Row[], string | null][] = [
      ['whole', rows, lang],
      ['dev (first 60%)', rows.slice(0, cut), lang],
      ['held-out (last 40%)', rows.slice(cut), lang],
      ['whole, lang=null', rows, null],
    ];
    for (const [name, part, l] of splits) {
      const m = evaluate(part, l);
      results[`${lang}/${name}`] = m;
      table[`${lang} ${name}`] = {
        n: m.n,
        accuracy: pct(m.accuracy),
        'toxic P': pct(m.toxPrecision),
        'toxic R': pct(m.toxRecall),
        'tox TP/FP/FN': `${m.toxTp}/${m.toxFp}/${m.toxFn}`,
      };
    }
  }
  console.log('sentiment fixtures (3-class accuracy via negative/positive flags; toxic = toxicity >= 0.5)');
  console.table(table);
  if (process.env.SENTIMENT_ERRORS) {
    for (const lang of ['de', 'en']) {
      const key = `${lang}/${process.env.SENTIMENT_ERRORS}`;
      console.log(key, JSON.stringify(results[key]?.errors, null, 1));
    }
  }

  for (const lang of ['de', 'en']) {
    it(`${lang}: 3-class accuracy >= 0.75 on the whole set`, () => {
      expect(results[`${lang}/whole`]!.accuracy).toBeGreaterThanOrEqual(0.75);
    });
    it(`${lang}: toxic recall >= 0.7 on the whole set`, () => {
      expect(results[`${lang}/whole`]!.toxRecall).toBeGreaterThanOrEqual(0.7);
    });
  }

  it('analyseText without a language gives the detected language and the scores analyse gives for it', () => {
    for (const r of [...load('de'), ...load('en')]) {
      const lang = detectLanguage(r.text);
      expect(analyseText(r.text, null), r.text).toEqual({ lang, scores: analyse(r.text, lang) });
    }
  });

  it('fixtures are balanced-ish and large enough', () => {
    for (const lang of ['de', 'en'] as const) {
      const rows = load(lang);
      expect(rows.length).toBeGreaterThanOrEqual(220);
      const share = (l: Label) => rows.filter((r) => r.label === l).length / rows.length;
      expect(share('negative')).toBeGreaterThan(0.3);
      expect(share('neutral')).toBeGreaterThan(0.2);
      expect(share('positive')).toBeGreaterThan(0.2);
      const tox = rows.filter((r) => r.toxic).length / rows.length;
      expect(tox).toBeGreaterThan(0.1);
      expect(tox).toBeLessThan(0.2);
    }
  });
});

describe('negation', () => {
  it.each([
    ['Das Essen ist gut.', 'Das Essen ist nicht gut.'],
    ['Der Service war freundlich.', 'Der Service war kein bisschen freundlich.'],
    ['Ein guter Service.', 'Kein guter Service.'],
    ['Das Update funktioniert wieder.', 'Das Update funktioniert nicht.'],
  ])('de: "%s" is positive, "%s" is negative', (pos, neg) => {
    expect(analyse(pos, 'de').sentiment).toBeGreaterThan(0);
    expect(analyse(neg, 'de').negative).toBe(true);
  });

  it.each([
    ['The food is good.', 'The food is not good.'],
    ['I like it.', "I don't like it."],
    ['The support was helpful.', 'The support was hardly helpful.'],
    ['It works great.', "It doesn't work."],
  ])('en: "%s" is positive, "%s" is negative', (pos, neg) => {
    expect(analyse(pos, 'en').sentiment).toBeGreaterThan(0);
    expect(analyse(neg, 'en').negative).toBe(true);
  });

  it('negated negatives turn mildly positive', () => {
    expect(analyse('Nicht schlecht!', 'de').positive).toBe(true);
    expect(analyse('Gar nicht so übel.', 'de').positive).toBe(true);
    expect(analyse('Not bad at all.', 'en').positive).toBe(true);
    expect(analyse('No stress today.', 'en').positive).toBe(true);
    expect(analyse('Ohne Probleme umgebucht.', 'de').positive).toBe(true);
  });

  it('verb-final German negation', () => {
    expect(analyse('Das gefällt mir nicht.', 'de').negative).toBe(true);
    expect(analyse('Der Support antwortet nicht.', 'de').negative).toBe(true);
  });

  it('negation scope ends at the clause and after ~3 tokens', () => {
    // "nicht" belongs to the first clause only.
    expect(analyse('Nicht verspätet, super freundlich!', 'de').positive).toBe(true);
    expect(analyse('I did not expect it to be this good.', 'en').positive).toBe(true);
  });

  it('never again / nie wieder', () => {
    expect(analyse('Never again.', 'en').negative).toBe(true);
    expect(analyse('Nie wieder Ryanair.', 'de').negative).toBe(true);
    expect(analyse('Nie wieder ohne meine Matratze.', 'de').positive).toBe(true);
  });
});

describe('intensifiers and diminishers', () => {
  it('intensifiers strengthen', () => {
    expect(analyse('sehr gut', 'de').sentiment).toBeGreaterThan(analyse('gut', 'de').sentiment);
    expect(analyse('mega geil', 'de').sentiment).toBeGreaterThan(analyse('geil', 'de').sentiment);
    expect(analyse('total enttäuscht', 'de').sentiment).toBeLessThan(analyse('enttäuscht', 'de').sentiment);
    expect(analyse('really bad', 'en').sentiment).toBeLessThan(analyse('bad', 'en').sentiment);
    expect(analyse('absolutely amazing', 'en').sentiment).toBeGreaterThan(analyse('amazing', 'en').sentiment);
  });

  it('diminishers weaken', () => {
    expect(analyse('etwas enttäuscht', 'de').sentiment).toBeGreaterThan(analyse('enttäuscht', 'de').sentiment);
    expect(analyse('slightly annoying', 'en').sentiment).toBeGreaterThan(analyse('annoying', 'en').sentiment);
    expect(analyse('a bit slow', 'en').sentiment).toBeGreaterThan(analyse('slow', 'en').sentiment);
  });

  it('intensifying compound prefixes', () => {
    expect(analyse('stinksauer', 'de').sentiment).toBeLessThan(analyse('sauer', 'de').sentiment);
    expect(analyse('saugut', 'de').positive).toBe(true);
  });

  it('capitals, !!! and elongation raise arousal', () => {
    const calm = analyse('this is unacceptable', 'en');
    const loud = analyse('THIS IS UNACCEPTABLE!!!', 'en');
    expect(loud.arousal).toBeGreaterThan(calm.arousal + 0.3);
    expect(analyse('suuuper!!', 'de').positive).toBe(true);
    expect(analyse('Ich bin so wütend 🤬🤬', 'de').arousal).toBeGreaterThan(0.5);
  });
});

describe('emoji and emoticons', () => {
  it.each(['😡', '🤬', '👎', '💩', '😤', ':(', '>:('])('%s is negative', (e) => {
    expect(analyse(e, null).negative).toBe(true);
  });
  it.each(['❤️', '😍', '👍', '🙏', '🎉', '😊', ':)', '<3'])('%s is positive', (e) => {
    expect(analyse(e, null).positive).toBe(true);
  });
  it('angry emoji raise arousal, neutral emoji do nothing', () => {
    expect(analyse('😡😡😡', null).arousal).toBeGreaterThan(0.5);
    expect(analyse('🤔', null).sentiment).toBe(0);
  });
  it('emoji add to words', () => {
    expect(analyse('Zug fällt aus 😡', 'de').sentiment).toBeLessThan(analyse('Zug fällt aus', 'de').sentiment);
  });
});

describe('German compounds and hashtags', () => {
  it.each(['Bahnchaos', '#Bahnchaos', '#BahnChaos', 'Verspätungs-chaos', 'Verspätungschaos', 'Servicewüste',
    'Zugausfall', 'Totalausfall', 'Riesenchaos', 'Preisabzocke', 'Scheißwetter', 'Eisenbahnunglück'])(
    '%s is negative', (w) => {
      expect(analyse(`${w} heute`, 'de').negative).toBe(true);
    });
  it.each(['Traumtor', 'Vorfreude', 'Riesenerfolg', 'Lieblingscafé', 'Hochgenuss'])('%s is positive', (w) => {
    expect(analyse(`${w} heute`, 'de').positive).toBe(true);
  });
  it.each(['Supermarkt', 'Inlandsflüge', 'Zeitspanne', 'Sauerkraut', 'Müllabfuhr'])('%s is not sentiment-bearing', (w) => {
    expect(analyse(`${w} heute`, 'de').sentiment).toBe(0);
  });
  it('English hashtags', () => {
    expect(analyse('#epicfail', 'en').negative).toBe(true);
    expect(analyse('#NeverAgain', 'en').negative).toBe(true);
    expect(analyse('#boycottacme', 'en').negative).toBe(true);
  });
});

describe('toxicity', () => {
  it.each([
    ['Ihr seid doch alle Versager!', 'de'],
    ['Abzocker und Betrüger, alle miteinander.', 'de'],
    ['Was für ein Vollidiot.', 'de'],
    ['#Boykott! Kauft da nichts mehr.', 'de'],
    ['Rücktritt! Sofort!', 'de'],
    ['Trainer raus!', 'de'],
    ['You absolute clowns.', 'en'],
    ['Scam company, bunch of liars.', 'en'],
    ['fuck you', 'en'],
    ['Resign! Now!', 'en'],
  ])('%s is toxic', (text, lang) => {
    expect(analyse(text, lang).toxic).toBe(true);
  });
  // Profanity without a target is offensive language in the labelled data the model learns from
  // (GermEval 2018's PROFANITY is part of OFFENSE; Davidson's "offensive language" includes it).
  it.each([
    ['Scheiße, Zug verpasst. Was für eine Scheiße', 'de'],
    ['fucking love this song 😍', 'en'],
  ])('%s is offensive language (profanity)', (text, lang) => {
    expect(analyse(text, lang).toxic).toBe(true);
  });
  it.each([
    ['Alle raus, Zug endet hier.', 'de'],
    ['Der Zug hat wieder Verspätung, das nervt.', 'de'],
    ['The service was terrible.', 'en'],
    ['Missed the bus again, so annoying.', 'en'],
  ])('%s is not toxic', (text, lang) => {
    const s = analyse(text, lang);
    expect(s.toxic).toBe(false);
    expect(s.toxicity).toBeLessThan(0.5);
  });
  it('an English boycott call without insults is negative; the learnt model puts it near its threshold (no such posts in the Davidson labels)', () => {
    for (const text of ['#boycott this brand', '#boycottacme']) {
      const s = analyse(text, 'en');
      expect(s.negative, text).toBe(true);
      expect(s.toxicity, text).toBeGreaterThan(0.3);
    }
  });
  it('addressing someone raises toxicity', () => {
    expect(analyse('Ihr seid so dumm.', 'de').toxicity).toBeGreaterThan(analyse('Das ist so dumm.', 'de').toxicity);
  });
});

describe('sarcasm', () => {
  it('explicit markers flip praise', () => {
    expect(analyse('Na super, Anschluss verpasst. Danke DB 🙃', 'de').negative).toBe(true);
    expect(analyse('Oh great, another delay. Love that for me.', 'en').negative).toBe(true);
    expect(analyse('Best service ever /s', 'en').negative).toBe(true);
  });
  it('a short positive coda after a complaint reads as sarcasm', () => {
    expect(analyse('Package lost, refund denied, support ignored me. Great.', 'en').negative).toBe(true);
  });
});

describe('fallback for other languages', () => {
  it('French gets emoji-only sentiment', () => {
    const words = analyse("C'est vraiment nul, je déteste ce service.", 'fr');
    expect(words.sentiment).toBe(0);
    expect(words.negative).toBe(false);
    expect(words.toxic).toBe(false);
    expect(analyse('Merci beaucoup ❤️', 'fr').positive).toBe(true);
    expect(analyse('Encore en retard 😡', 'fr').negative).toBe(true);
  });
  it('lang=null detects French and falls back', () => {
    const s = analyse("Le train est encore en retard, c'est vraiment nul et je suis en colère.", null);
    expect(s.sentiment).toBe(0);
    const loud = analyse("C'EST INACCEPTABLE !!!", 'fr');
    expect(loud.arousal).toBeGreaterThan(0.3);
  });
  it('region subtags are accepted', () => {
    expect(analyse('Sehr gut!', 'de-DE').positive).toBe(true);
    expect(analyse('Very good!', 'en_GB').positive).toBe(true);
  });
});

describe('tokeniser', () => {
  it('folds words exactly like fold() (in-place path for Latin-1, fold() for the rest)', () => {
    const letters = 'aAzZßÄäÖöÜüÉéÈèÑñÇçÆæØøÅåÞþÐðÿİıſﬁΣσςДдЉљ';
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    for (let k = 0; k < 2000; k++) {
      let w = '';
      const len = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < len; i++) w += [...letters][Math.floor(rnd() * [...letters].length)];
      const words = tokenWords(tokenise(w));
      expect(words.join(' ')).toBe(fold(w));
    }
  });

  it('skips URLs and mentions, splits CamelCase hashtags, keeps censored words', () => {
    const tk = tokenise('@DB_Bahn Geht’s noch?! https://t.co/x F***, *wirklich* Straße #BahnChaos xD suuuper');
    expect(tokenWords(tk)).toEqual(['geht\'s', 'noch', 'f***', 'wirklich', 'strasse', 'bahnchaos', 'bahn', 'chaos', 'xd', 'suuuper']);
    expect(tk.exclam).toBe(1);
    expect(tk.elongated).toBe(1);
  });
});

describe('detectLanguage', () => {
  it.each([
    ['Der Zug hat schon wieder 20 Minuten Verspätung, ich komme zu spät zur Arbeit.', 'de'],
    ['Ich finde das neue Handy wirklich gut, aber der Akku ist schwach.', 'de'],
    ['Warum ist das Internet bei euch schon wieder weg?', 'de'],
    ['Heute Abend spielt Bayern gegen Dortmund.', 'de'],
    ['Mega geil, danke euch für den tollen Abend! #Konzert', 'de'],
    ['Kein Netz im ICE, wie immer. @DB_Bahn https://example.com/x', 'de'],
    ['Größte Frechheit überhaupt.', 'de'],
    ['Weiß jemand, ob die S-Bahn fährt?', 'de'],
    ['The train is late again and nobody told us anything.', 'en'],
    ['I love the new update, it is so much faster than before.', 'en'],
    ["Can't believe they cancelled my flight without any notice.", 'en'],
    ['What a game tonight, the lads were brilliant! #COYS', 'en'],
    ['Does anyone know if the store is open on Sunday?', 'en'],
    ['Worst customer service I have ever had with @Comcast', 'en'],
    ["Le train est encore en retard, c'est vraiment pénible.", 'fr'],
    ['Je ne comprends pas pourquoi le service client ne répond jamais.', 'fr'],
    ['Merci beaucoup pour votre aide, tout est réglé !', 'fr'],
    ['El tren llega tarde otra vez, qué desastre.', 'es'],
    ['Muchas gracias por la ayuda, todo está perfecto.', 'es'],
    ['¿Alguien sabe si hay huelga mañana en el metro?', 'es'],
    ['Il treno è di nuovo in ritardo, che disastro.', 'it'],
    ['Grazie mille per il vostro aiuto, tutto perfetto.', 'it'],
    ['Non capisco perché il servizio clienti non risponde mai.', 'it'],
    ['De trein is weer te laat, dit is echt niet normaal.', 'nl'],
    ['Bedankt voor de snelle hulp, alles werkt weer.', 'nl'],
    ['Ik snap niet waarom de klantenservice nooit antwoordt.', 'nl'],
  ])('%s → %s', (text, lang) => {
    expect(detectLanguage(text)).toBe(lang);
  });

  it.each(['👍', 'ok', '#Bahnchaos @DB_Bahn https://t.co/abc', '', '12:30', '🤔🤔'])('%j → und', (text) => {
    expect(detectLanguage(text)).toBe('und');
  });

  it('hashtags and mentions are not evidence', () => {
    expect(detectLanguage('#TheWorstDayEver #Deutschland @the_guardian Heute ist der Zug pünktlich.')).toBe('de');
  });

  it('fixture posts are recognised as their language (where there is text)', () => {
    const rate: Record<string, string> = {};
    for (const lang of ['de', 'en'] as const) {
      const rows = load(lang);
      const got = rows.map((r) => detectLanguage(r.text));
      const ok = got.filter((g) => g === lang).length;
      const und = got.filter((g) => g === 'und').length;
      rate[lang] = `${ok}/${rows.length} correct, ${und} und, ${rows.length - ok - und} other`;
      expect(ok / rows.length).toBeGreaterThan(0.85);
    }
    console.log('language detection on fixtures:', rate);
  });
});

describe('performance', () => {
  it('analyses typical 150-character posts (time per post printed, never asserted: the bench measures it)', () => {
    // ~150-character posts made by joining fixture posts of one language.
    const posts: string[] = [];
    const langs: string[] = [];
    for (const lang of ['de', 'en'] as const) {
      let cur = '';
      for (let r = 0; r < 3; r++) {
        for (const row of load(lang)) {
          cur = cur ? `${cur} ${row.text}` : row.text;
          if (cur.length >= 140) {
            posts.push(cur.slice(0, 160));
            langs.push(lang);
            cur = '';
          }
        }
      }
    }
    const meanLen = posts.reduce((a, p) => a + p.length, 0) / posts.length;
    let sink = 0;
    const baseline = (p: string) => {
      for (let i = 0; i < p.length; i++) sink += p.charCodeAt(i);
    };
    const time = (f: (p: string, i: number) => void) => {
      for (let w = 0; w < 5; w++) for (let i = 0; i < posts.length; i++) f(posts[i]!, i); // warm-up
      let best = Infinity;
      for (let rep = 0; rep < 5; rep++) {
        const t0 = process.hrtime.bigint();
        for (let r = 0; r < 10; r++) for (let i = 0; i < posts.length; i++) f(posts[i]!, i);
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / (10 * posts.length));
      }
      return best;
    };
    const base = time(baseline);
    const given = time((p, i) => void analyse(p, langs[i]!));
    const detect = time((p) => void analyse(p, null));
    console.log(
      `performance: ${posts.length} posts, mean ${meanLen.toFixed(0)} chars: analyse(text, lang) ${given.toFixed(2)} µs, ` +
      `analyse(text, null) ${detect.toFixed(2)} µs per post (bare charCodeAt loop over the post: ${base.toFixed(2)} µs)`,
    );
    expect(sink).toBeGreaterThan(0);
    const scores = posts.map((p, i) => analyse(p, langs[i]!));
    expect(scores.every((x) => x.sentiment >= -1 && x.sentiment <= 1 && x.toxicity >= 0 && x.toxicity <= 1 && x.arousal >= 0 && x.arousal <= 1)).toBe(true);
  });
});
