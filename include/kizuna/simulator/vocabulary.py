"""Word lists the synthetic world draws from: company name parts, people's names,
prefectures, industries (JSIC), departments and titles.

Every string here encodes in CP932, so anything built from them can be written to a CRM
export in Excel's encoding. Readings are full-width katakana; romaji is ASCII.
"""

from __future__ import annotations

# Company name stems: (kanji or katakana, reading in katakana, romaji for domains).
STEMS: tuple[tuple[str, str, str], ...] = (
    ("山田", "ヤマダ", "yamada"), ("東洋", "トウヨウ", "toyo"), ("日本", "ニホン", "nihon"),
    ("大和", "ダイワ", "daiwa"), ("三協", "サンキョウ", "sankyo"), ("北斗", "ホクト", "hokuto"),
    ("富士", "フジ", "fuji"), ("中央", "チュウオウ", "chuo"), ("東邦", "トウホウ", "toho"),
    ("新日本", "シンニホン", "shinnihon"), ("大同", "ダイドウ", "daido"),
    ("昭和", "ショウワ", "showa"), ("平和", "ヘイワ", "heiwa"), ("共立", "キョウリツ", "kyoritsu"),
    ("三栄", "サンエイ", "sanei"), ("丸山", "マルヤマ", "maruyama"),
    ("小林", "コバヤシ", "kobayashi"), ("松井", "マツイ", "matsui"), ("高木", "タカギ", "takagi"),
    ("青葉", "アオバ", "aoba"), ("若葉", "ワカバ", "wakaba"), ("朝日", "アサヒ", "asahi"),
    ("光", "ヒカリ", "hikari"), ("日東", "ニットウ", "nitto"), ("東亜", "トウア", "toa"),
    ("関東", "カントウ", "kanto"), ("関西", "カンサイ", "kansai"), ("北陸", "ホクリク", "hokuriku"),
    ("九州", "キュウシュウ", "kyushu"), ("東海", "トウカイ", "tokai"),
    ("中部", "チュウブ", "chubu"),
    ("北海", "ホッカイ", "hokkai"), ("瀬戸", "セト", "seto"), ("浜松", "ハママツ", "hamamatsu"),
    ("名古屋", "ナゴヤ", "nagoya"), ("横浜", "ヨコハマ", "yokohama"), ("神戸", "コウベ", "kobe"),
    ("京都", "キョウト", "kyoto"), ("千代田", "チヨダ", "chiyoda"), ("桜", "サクラ", "sakura"),
    ("菊水", "キクスイ", "kikusui"), ("明治", "メイジ", "meiji"), ("大正", "タイショウ", "taisho"),
    ("三和", "サンワ", "sanwa"), ("協和", "キョウワ", "kyowa"), ("日進", "ニッシン", "nisshin"),
    ("日興", "ニッコウ", "nikko"), ("太陽", "タイヨウ", "taiyo"), ("星野", "ホシノ", "hoshino"),
    ("森田", "モリタ", "morita"), ("石川", "イシカワ", "ishikawa"), ("前田", "マエダ", "maeda"),
    ("岡本", "オカモト", "okamoto"), ("藤田", "フジタ", "fujita"), ("村上", "ムラカミ", "murakami"),
    ("近藤", "コンドウ", "kondo"), ("坂本", "サカモト", "sakamoto"), ("遠藤", "エンドウ", "endo"),
    ("青木", "アオキ", "aoki"), ("西村", "ニシムラ", "nishimura"), ("福田", "フクダ", "fukuda"),
    ("太田", "オオタ", "ota"), ("三浦", "ミウラ", "miura"), ("藤井", "フジイ", "fujii"),
    ("岡田", "オカダ", "okada"), ("中島", "ナカジマ", "nakajima"), ("原田", "ハラダ", "harada"),
    ("竹内", "タケウチ", "takeuchi"), ("金子", "カネコ", "kaneko"), ("和田", "ワダ", "wada"),
    ("中野", "ナカノ", "nakano"), ("小野", "オノ", "ono"), ("田村", "タムラ", "tamura"),
    ("上田", "ウエダ", "ueda"), ("丸一", "マルイチ", "maruichi"), ("栄光", "エイコウ", "eiko"),
    ("秀和", "シュウワ", "shuwa"), ("正和", "セイワ", "seiwa"), ("白鳥", "シラトリ", "shiratori"),
    ("緑川", "ミドリカワ", "midorikawa"), ("若松", "ワカマツ", "wakamatsu"),
    ("高砂", "タカサゴ", "takasago"), ("千葉", "チバ", "chiba"), ("松山", "マツヤマ", "matsuyama"),
    ("高松", "タカマツ", "takamatsu"), ("新潟", "ニイガタ", "niigata"),
    ("仙台", "センダイ", "sendai"), ("広島", "ヒロシマ", "hiroshima"),
    ("岡山", "オカヤマ", "okayama"), ("静岡", "シズオカ", "shizuoka"), ("長野", "ナガノ", "nagano"),
    ("信越", "シンエツ", "shinetsu"), ("東北", "トウホク", "tohoku"), ("四国", "シコク", "shikoku"),
    ("山陽", "サンヨウ", "sanyo"), ("北星", "ホクセイ", "hokusei"), ("南海", "ナンカイ", "nankai"),
    ("西日本", "ニシニホン", "nishinihon"), ("東日本", "ヒガシニホン", "higashinihon"),
    ("大成", "タイセイ", "taisei"), ("日立野", "ヒタチノ", "hitachino"), ("久保", "クボ", "kubo"),
    ("宮本", "ミヤモト", "miyamoto"), ("野村", "ノムラ", "nomura"),
    ("菅原", "スガワラ", "sugawara"),
    ("アクア", "アクア", "aqua"), ("ネクスト", "ネクスト", "next"),
    ("フロンティア", "フロンティア", "frontier"), ("グローバル", "グローバル", "global"),
    ("ユニオン", "ユニオン", "union"), ("エース", "エース", "ace"),
    ("サンライズ", "サンライズ", "sunrise"), ("ミライ", "ミライ", "mirai"),
    ("アルファ", "アルファ", "alpha"), ("ベスト", "ベスト", "best"),
    ("クレスト", "クレスト", "crest"),
    ("テクノ", "テクノ", "techno"), ("デジタル", "デジタル", "digital"),
    ("スマート", "スマート", "smart"), ("ブルー", "ブルー", "blue"),
    ("オリオン", "オリオン", "orion"),
    ("セントラル", "セントラル", "central"), ("パシフィック", "パシフィック", "pacific"),
    ("リンク", "リンク", "link"), ("ホープ", "ホープ", "hope"), ("スター", "スター", "star"),
)

# JSIC divisions used: letter -> (CRM words sales types for it, fit effect, revenue per
# employee in JPY, share of companies, growth-rate trend)
DIVISIONS: dict[str, tuple[tuple[str, ...], float, float, float, float]] = {
    "D": (("建設業", "建設", "建設・工事"), -0.3, 30e6, 0.10, 0.00),
    "E": (("製造業", "製造", "メーカー", "製造業（機械）"), 0.5, 35e6, 0.26, 0.01),
    "G": (("情報通信業", "IT", "ＩＴ", "IT・通信", "ソフトウェア"), 0.9, 25e6, 0.10, 0.05),
    "H": (("運輸業", "物流", "運輸・郵便業"), 0.0, 22e6, 0.05, 0.01),
    "I": (("卸売業", "商社", "小売業", "卸売・小売業"), 0.3, 60e6, 0.22, 0.00),
    "J": (("金融・保険業", "金融", "銀行・証券"), 0.6, 45e6, 0.03, 0.01),
    "K": (("不動産業", "不動産"), -0.2, 60e6, 0.05, 0.01),
    "L": (("専門サービス", "コンサル", "学術研究・専門サービス"), 0.4, 18e6, 0.06, 0.03),
    "M": (("飲食・宿泊", "飲食", "宿泊業"), -0.8, 8e6, 0.04, -0.01),
    "O": (("教育", "教育・学習支援"), -0.5, 10e6, 0.01, 0.00),
    "P": (("医療・福祉", "医療", "介護"), -0.4, 12e6, 0.04, 0.02),
    "R": (("サービス業", "サービス"), -0.2, 12e6, 0.04, 0.01),
}

# JSIC middle classes (division letter + 2 digits) per division.
INDUSTRY_CODES: dict[str, tuple[str, ...]] = {
    "D": ("D06", "D07", "D08"),
    "E": ("E09", "E15", "E16", "E22", "E24", "E26", "E28", "E29", "E31"),
    "G": ("G37", "G39", "G40", "G41"),
    "H": ("H43", "H44", "H47", "H48"),
    "I": ("I50", "I53", "I54", "I55", "I58", "I60"),
    "J": ("J62", "J65", "J67"),
    "K": ("K68", "K69"),
    "L": ("L72", "L73", "L74"),
    "M": ("M75", "M76"),
    "O": ("O81", "O82"),
    "P": ("P83", "P85"),
    "R": ("R91", "R92"),
}

# Business words that fit each division: (word, reading, romaji).
BUSINESS_WORDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "D": (("建設", "ケンセツ", "kensetsu"), ("工務店", "コウムテン", "komuten"),
          ("組", "グミ", "gumi"), ("建工", "ケンコウ", "kenko"), ("設備", "セツビ", "setsubi"),
          ("ハウス", "ハウス", "house")),
    "E": (("工業", "コウギョウ", "kogyo"), ("製作所", "セイサクショ", "seisakusho"),
          ("精機", "セイキ", "seiki"), ("電機", "デンキ", "denki"), ("化学", "カガク", "kagaku"),
          ("金属", "キンゾク", "kinzoku"), ("製薬", "セイヤク", "seiyaku"),
          ("食品", "ショクヒン", "shokuhin"), ("産業", "サンギョウ", "sangyo"),
          ("電子", "デンシ", "denshi"), ("機械", "キカイ", "kikai"), ("樹脂", "ジュシ", "jushi"),
          ("印刷", "インサツ", "insatsu"), ("マテリアル", "マテリアル", "material")),
    "G": (("システムズ", "システムズ", "systems"),
          ("ソリューションズ", "ソリューションズ", "solutions"),
          ("テクノロジー", "テクノロジー", "technology"),
          ("情報システム", "ジョウホウシステム", "johosystem"),
          ("ソフトウェア", "ソフトウェア", "software"),
          ("ネットワークス", "ネットワークス", "networks"), ("データ", "データ", "data"),
          ("コミュニケーションズ", "コミュニケーションズ", "communications")),
    "H": (("運輸", "ウンユ", "unyu"), ("物流", "ブツリュウ", "butsuryu"),
          ("ロジスティクス", "ロジスティクス", "logistics"), ("運送", "ウンソウ", "unso"),
          ("海運", "カイウン", "kaiun")),
    "I": (("商事", "ショウジ", "shoji"), ("物産", "ブッサン", "bussan"),
          ("商会", "ショウカイ", "shokai"), ("通商", "ツウショウ", "tsusho"),
          ("トレーディング", "トレーディング", "trading"), ("販売", "ハンバイ", "hanbai"),
          ("商店", "ショウテン", "shoten"), ("ストアーズ", "ストアーズ", "stores")),
    "J": (("証券", "ショウケン", "shoken"), ("リース", "リース", "lease"),
          ("ファイナンス", "ファイナンス", "finance"), ("キャピタル", "キャピタル", "capital")),
    "K": (("不動産", "フドウサン", "fudosan"), ("地所", "ジショ", "jisho"),
          ("住宅", "ジュウタク", "jutaku"), ("エステート", "エステート", "estate")),
    "L": (("コンサルティング", "コンサルティング", "consulting"), ("総研", "ソウケン", "soken"),
          ("技研", "ギケン", "giken"), ("設計", "セッケイ", "sekkei")),
    "M": (("フーズ", "フーズ", "foods"), ("ホテル", "ホテル", "hotel"),
          ("観光", "カンコウ", "kanko")),
    "O": (("学院", "ガクイン", "gakuin"), ("教育", "キョウイク", "kyoiku")),
    "P": (("メディカル", "メディカル", "medical"), ("ケア", "ケア", "care"),
          ("ヘルスケア", "ヘルスケア", "healthcare")),
    "R": (("サービス", "サービス", "service"),
          ("ビジネスサービス", "ビジネスサービス", "bizservice"),
          ("エンタープライズ", "エンタープライズ", "enterprise")),
}

HOLDINGS = ("ホールディングス", "ホールディングス", "holdings")

# Typos a person makes typing a business word (same reading, other kanji).
KANJI_SLIPS: dict[str, str] = {
    "工業": "興業", "製作所": "制作所", "電機": "電気", "精機": "精器", "商事": "商時",
    "物産": "物参", "化学": "科学", "運輸": "運愉", "建設": "建説", "総研": "総建",
    "不動産": "不動座", "産業": "産行", "機械": "器械", "通商": "通称",
}

# Look-alike characters a business-card scanner confuses.
OCR_SLIPS: dict[str, str] = {
    "ロ": "口", "工": "エ", "ー": "一", "カ": "力", "ニ": "二", "夕": "タ", "へ": "ヘ",
    "オ": "才", "ト": "卜", "0": "O", "1": "l",
}

# Prefecture, weight (share of companies), romaji, registry-office code prefix, phone area.
PREFECTURES: tuple[tuple[str, float, str, str, str], ...] = (
    ("東京都", 0.200, "tokyo", "01", "03"), ("神奈川県", 0.065, "kanagawa", "02", "045"),
    ("埼玉県", 0.045, "saitama", "03", "048"), ("千葉県", 0.040, "chiba", "04", "043"),
    ("茨城県", 0.020, "ibaraki", "05", "029"), ("栃木県", 0.016, "tochigi", "06", "028"),
    ("群馬県", 0.016, "gunma", "07", "027"), ("静岡県", 0.030, "shizuoka", "08", "054"),
    ("山梨県", 0.007, "yamanashi", "09", "055"), ("長野県", 0.018, "nagano", "10", "026"),
    ("新潟県", 0.020, "niigata", "11", "025"), ("大阪府", 0.080, "osaka", "12", "06"),
    ("京都府", 0.020, "kyoto", "13", "075"), ("兵庫県", 0.040, "hyogo", "14", "078"),
    ("奈良県", 0.008, "nara", "15", "0742"), ("滋賀県", 0.009, "shiga", "16", "077"),
    ("和歌山県", 0.007, "wakayama", "17", "073"), ("愛知県", 0.065, "aichi", "18", "052"),
    ("三重県", 0.014, "mie", "19", "059"), ("岐阜県", 0.017, "gifu", "20", "058"),
    ("石川県", 0.010, "ishikawa", "21", "076"), ("富山県", 0.009, "toyama", "22", "076"),
    ("福井県", 0.007, "fukui", "23", "0776"), ("広島県", 0.022, "hiroshima", "24", "082"),
    ("山口県", 0.010, "yamaguchi", "25", "083"), ("岡山県", 0.015, "okayama", "26", "086"),
    ("鳥取県", 0.004, "tottori", "27", "0857"), ("島根県", 0.005, "shimane", "28", "0852"),
    ("香川県", 0.008, "kagawa", "29", "087"), ("徳島県", 0.006, "tokushima", "30", "088"),
    ("高知県", 0.005, "kochi", "31", "088"), ("愛媛県", 0.010, "ehime", "32", "089"),
    ("福岡県", 0.040, "fukuoka", "33", "092"), ("佐賀県", 0.006, "saga", "34", "0952"),
    ("長崎県", 0.010, "nagasaki", "35", "095"), ("大分県", 0.008, "oita", "36", "097"),
    ("熊本県", 0.013, "kumamoto", "37", "096"), ("宮崎県", 0.008, "miyazaki", "38", "0985"),
    ("鹿児島県", 0.012, "kagoshima", "39", "099"), ("沖縄県", 0.011, "okinawa", "40", "098"),
    ("宮城県", 0.018, "miyagi", "41", "022"), ("福島県", 0.013, "fukushima", "42", "024"),
    ("山形県", 0.009, "yamagata", "43", "023"), ("岩手県", 0.009, "iwate", "44", "019"),
    ("秋田県", 0.007, "akita", "45", "018"), ("青森県", 0.009, "aomori", "46", "017"),
    ("北海道", 0.040, "hokkaido", "47", "011"),
)

# Surnames (kanji, romaji), most common first.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("斉藤", "saito"), ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"),
    ("藤井", "fujii"), ("金子", "kaneko"), ("岡本", "okamoto"), ("藤原", "fujiwara"),
    ("中野", "nakano"), ("三浦", "miura"), ("原田", "harada"), ("中川", "nakagawa"),
    ("松田", "matsuda"), ("竹内", "takeuchi"), ("小野", "ono"), ("田村", "tamura"),
    ("中山", "nakayama"), ("和田", "wada"), ("石田", "ishida"), ("森田", "morita"),
    ("上田", "ueda"), ("原", "hara"), ("内田", "uchida"), ("柴田", "shibata"),
    ("酒井", "sakai"), ("宮崎", "miyazaki"), ("横山", "yokoyama"), ("高木", "takagi"),
    ("安藤", "ando"), ("宮本", "miyamoto"), ("大野", "ono"), ("小島", "kojima"),
    ("谷口", "taniguchi"), ("今井", "imai"), ("工藤", "kudo"), ("高田", "takada"),
    ("増田", "masuda"), ("丸山", "maruyama"), ("杉山", "sugiyama"), ("村田", "murata"),
)

# Given names (kanji, romaji).
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("太郎", "taro"), ("健太", "kenta"), ("翔太", "shota"), ("大輔", "daisuke"),
    ("誠", "makoto"), ("直樹", "naoki"), ("拓也", "takuya"), ("隆", "takashi"),
    ("健一", "kenichi"), ("浩二", "koji"), ("達也", "tatsuya"), ("和也", "kazuya"),
    ("亮", "ryo"), ("剛", "tsuyoshi"), ("修", "osamu"), ("博", "hiroshi"),
    ("聡", "satoshi"), ("学", "manabu"), ("一郎", "ichiro"), ("悠斗", "yuto"),
    ("大樹", "daiki"), ("雄介", "yusuke"), ("慎也", "shinya"), ("正人", "masato"),
    ("美咲", "misaki"), ("陽子", "yoko"), ("恵", "megumi"), ("由美", "yumi"),
    ("裕子", "yuko"), ("直美", "naomi"), ("真由美", "mayumi"), ("智子", "tomoko"),
    ("香織", "kaori"), ("愛", "ai"), ("彩", "aya"), ("舞", "mai"),
    ("千尋", "chihiro"), ("さくら", "sakura"), ("麻衣", "mai"), ("奈々", "nana"),
    ("明美", "akemi"), ("久美子", "kumiko"), ("沙織", "saori"), ("理恵", "rie"),
)

# Departments: name, weight, relevance of our (B2B SaaS) product to people there.
DEPARTMENTS: tuple[tuple[str, float, float], ...] = (
    ("営業部", 0.22, 1.0), ("情報システム部", 0.12, 1.8), ("経営企画部", 0.08, 1.5),
    ("マーケティング部", 0.08, 1.7), ("総務部", 0.10, 0.6), ("人事部", 0.07, 0.5),
    ("経理部", 0.07, 0.6), ("製造部", 0.10, 0.4), ("開発部", 0.09, 1.1),
    ("DX推進室", 0.04, 2.0), ("購買部", 0.03, 0.8),
)

# Titles from junior to senior, with their share among people.
TITLES: tuple[tuple[str, float], ...] = (
    ("担当", 0.34), ("主任", 0.18), ("係長", 0.13), ("課長", 0.16), ("部長", 0.11),
    ("本部長", 0.04), ("取締役", 0.04),
)

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com", "hotmail.co.jp",
)
CARRIER_MAIL_DOMAINS: tuple[str, ...] = ("docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp")

# Sales rep names for the CRM owner field.
SALES_REPS: tuple[str, ...] = (
    "佐藤 健一", "鈴木 美咲", "高橋 大輔", "田中 陽子", "伊藤 翔太", "渡辺 香織",
    "山本 直樹", "中村 由美", "小林 拓也", "加藤 智子", "吉田 雄介", "山口 彩",
    "松本 隆", "井上 沙織", "木村 慎也", "林 恵", "清水 正人", "森 奈々",
    "池田 修", "橋本 麻衣", "石川 聡", "前田 千尋", "岡田 学", "藤田 理恵",
)

# Lost reasons written by sales (Japanese words, as in a real CRM picklist).
LOST_REASONS: tuple[str, ...] = ("価格", "競合", "時期尚早", "予算凍結", "機能不足")
