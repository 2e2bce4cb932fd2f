"""The built-in Kizuna engagement model: factors, questions and questionnaires.

Every item is written for Kizuna (no licensed instrument is reproduced). Engagement is
measured as three factors — 理解度 (understanding of vision and strategy), 帰属意識
(belonging) and 行動意欲 (willingness to act) — kept apart from satisfaction, plus eNPS,
eight driver factors with fixed codes (results and action plans refer to them by code)
and two free-text questions.

The catalogue is data; :func:`install_catalog` writes it idempotently. The data migration
calls it with the historical app registry, the demo and tests call it without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

AGREEMENT = "agreement"
SCALE = "scale"
SINGLE = "single"
TEXT = "text"

ENGAGEMENT_FACTORS = ("understanding", "belonging", "willingness")
DRIVER_FACTORS = (
    "fair_evaluation",
    "career_growth",
    "manager_support",
    "flexible_work",
    "recognition",
    "workload",
    "communication",
    "growth_opportunities",
)
ENPS_QUESTION = "enps"
TEXT_WORKS_WELL = "text_works_well"
TEXT_IMPROVE = "text_improve"
EXIT_REASON = "exit_reason"

ANNUAL = "kizuna-annual"
PULSE = "kizuna-pulse"
ONBOARDING = "kizuna-onboarding"
EXIT = "kizuna-exit"


@dataclass(frozen=True)
class FactorSpec:
    code: str
    kind: str
    name_ja: str
    name_en: str
    description_ja: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    kind: str
    factor: str | None
    text_ja: str
    text_en: str
    options: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class QuestionnaireSpec:
    code: str
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    questions: tuple[str, ...] = field(default_factory=tuple)


FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec(
        "understanding",
        "engagement",
        "理解度",
        "Understanding",
        "会社のビジョンや戦略を理解し、自分の仕事との関係が分かっている状態",
        "Knowing the company's vision and strategy and how one's own work relates to them",
    ),
    FactorSpec(
        "belonging",
        "engagement",
        "帰属意識",
        "Belonging",
        "会社の一員であることに誇りやつながりを感じている状態",
        "Feeling proud of and connected to the company",
    ),
    FactorSpec(
        "willingness",
        "engagement",
        "行動意欲",
        "Willingness to act",
        "会社の成功のために自ら進んで行動しようとする意欲",
        "Readiness to act on one's own initiative for the company's success",
    ),
    FactorSpec(
        "satisfaction",
        "satisfaction",
        "満足度",
        "Satisfaction",
        "待遇・職場環境・仕事内容への満足(エンゲージメントとは区別して集計します)",
        "Satisfaction with pay, workplace and work (reported separately from engagement)",
    ),
    FactorSpec("enps", "enps", "eNPS", "eNPS"),
    FactorSpec("fair_evaluation", "driver", "評価の納得感", "Fair evaluation"),
    FactorSpec("career_growth", "driver", "キャリア形成", "Career growth"),
    FactorSpec("manager_support", "driver", "上司の支援と1on1", "Manager support and 1on1s"),
    FactorSpec("flexible_work", "driver", "柔軟な働き方", "Flexible work"),
    FactorSpec("recognition", "driver", "承認・称賛", "Recognition"),
    FactorSpec("workload", "driver", "業務量", "Workload"),
    FactorSpec("communication", "driver", "社内コミュニケーション", "Internal communication"),
    FactorSpec("growth_opportunities", "driver", "成長機会", "Growth opportunities"),
    FactorSpec("onboarding", "other", "オンボーディング", "Onboarding"),
    FactorSpec("exit", "other", "退職", "Leaving"),
)


def _agree(code: str, factor: str, ja: str, en: str) -> QuestionSpec:
    return QuestionSpec(code, AGREEMENT, factor, ja, en)


QUESTIONS: tuple[QuestionSpec, ...] = (
    # --- engagement: 理解度 -------------------------------------------------------------
    _agree(
        "understanding_1",
        "understanding",
        "会社のビジョンや目指している方向を理解している。",
        "I understand the company's vision and where it is heading.",
    ),
    _agree(
        "understanding_2",
        "understanding",
        "会社の戦略と自分の仕事がどうつながっているかを説明できる。",
        "I can explain how my work connects to the company's strategy.",
    ),
    _agree(
        "understanding_3",
        "understanding",
        "自分のチームが何を優先すべきか、はっきり分かっている。",
        "I know clearly what my team's priorities are.",
    ),
    # --- engagement: 帰属意識 -----------------------------------------------------------
    _agree(
        "belonging_1",
        "belonging",
        "この会社の一員であることに誇りを感じている。",
        "I am proud to be part of this company.",
    ),
    _agree(
        "belonging_2",
        "belonging",
        "この会社でこれからも長く働きたいと思う。",
        "I want to keep working at this company for a long time.",
    ),
    _agree(
        "belonging_3",
        "belonging",
        "一緒に働く仲間とのつながりを感じている。",
        "I feel connected to the people I work with.",
    ),
    # --- engagement: 行動意欲 -----------------------------------------------------------
    _agree(
        "willingness_1",
        "willingness",
        "会社の成功のためなら、求められている以上の努力をしたいと思う。",
        "I am willing to go beyond what is expected of me to help the company succeed.",
    ),
    _agree(
        "willingness_2",
        "willingness",
        "仕事をより良くするために、指示を待たずに自分から行動している。",
        "I take the initiative to improve how we work without waiting to be asked.",
    ),
    _agree(
        "willingness_3",
        "willingness",
        "毎日の仕事に前向きな気持ちで取り組めている。",
        "I approach my daily work with energy and a positive attitude.",
    ),
    # --- satisfaction (kept apart from engagement) -------------------------------------
    _agree(
        "satisfaction_1",
        "satisfaction",
        "現在の給与や待遇に満足している。",
        "I am satisfied with my pay and benefits.",
    ),
    _agree(
        "satisfaction_2",
        "satisfaction",
        "働く環境(オフィス・設備・ツール)に満足している。",
        "I am satisfied with my working environment (office, equipment and tools).",
    ),
    _agree(
        "satisfaction_3",
        "satisfaction",
        "現在の仕事内容に満足している。",
        "I am satisfied with the work I do.",
    ),
    # --- eNPS --------------------------------------------------------------------------
    QuestionSpec(
        ENPS_QUESTION,
        SCALE,
        "enps",
        "この会社を働く場所として親しい友人や知人にどの程度勧めたいと思いますか。",
        "How likely are you to recommend this company as a place to work "
        "to a close friend or acquaintance?",
    ),
    # --- drivers -----------------------------------------------------------------------
    _agree(
        "fair_evaluation_1",
        "fair_evaluation",
        "自分が受けた評価の結果に納得している。",
        "I find the result of my performance evaluation fair.",
    ),
    _agree(
        "fair_evaluation_2",
        "fair_evaluation",
        "評価の基準が分かりやすく示されている。",
        "The criteria used in evaluations are clearly explained.",
    ),
    _agree(
        "fair_evaluation_3",
        "fair_evaluation",
        "成果だけでなく、仕事の進め方やプロセスも評価されている。",
        "Not only my results but also how I work is taken into account.",
    ),
    _agree(
        "career_growth_1",
        "career_growth",
        "この会社で自分が目指すキャリアを描けている。",
        "I can see the career I want to build at this company.",
    ),
    _agree(
        "career_growth_2",
        "career_growth",
        "今後のキャリアについて相談できる機会がある。",
        "I have opportunities to talk about my future career.",
    ),
    _agree(
        "manager_support_1",
        "manager_support",
        "上司は私の成長を支援してくれている。",
        "My manager supports my growth.",
    ),
    _agree(
        "manager_support_2",
        "manager_support",
        "上司との1on1は自分にとって役に立っている。",
        "My 1on1s with my manager are useful to me.",
    ),
    _agree(
        "manager_support_3",
        "manager_support",
        "困ったときに上司に気軽に相談できる。",
        "I can easily talk to my manager when I run into a problem.",
    ),
    _agree(
        "flexible_work_1",
        "flexible_work",
        "必要に応じて、働く時間や場所を柔軟に選べる。",
        "I can choose when and where I work when I need to.",
    ),
    _agree(
        "flexible_work_2",
        "flexible_work",
        "柔軟な働き方の制度を、遠慮せずに利用できる雰囲気がある。",
        "People here feel free to use the flexible-work policies.",
    ),
    _agree(
        "recognition_1",
        "recognition",
        "良い仕事をしたとき、きちんと認められていると感じる。",
        "When I do good work, I feel that it is recognised.",
    ),
    _agree(
        "recognition_2",
        "recognition",
        "職場には、感謝や称賛を伝え合う文化がある。",
        "People here express thanks and praise to one another.",
    ),
    _agree(
        "workload_1",
        "workload",
        "業務量は、勤務時間内に無理なくこなせる量である。",
        "My workload is manageable within my working hours.",
    ),
    _agree(
        "workload_2",
        "workload",
        "業務が多すぎるときは、調整を相談できる。",
        "When I have too much work, I can ask for it to be rebalanced.",
    ),
    _agree(
        "communication_1",
        "communication",
        "仕事に必要な情報が、必要なときに共有されている。",
        "The information I need for my work is shared when I need it.",
    ),
    _agree(
        "communication_2",
        "communication",
        "部署をまたいだ協力がスムーズに行われている。",
        "Teams work together smoothly across departments.",
    ),
    _agree(
        "growth_opportunities_1",
        "growth_opportunities",
        "仕事を通じて新しいスキルを身につける機会がある。",
        "I have opportunities to learn new skills through my work.",
    ),
    _agree(
        "growth_opportunities_2",
        "growth_opportunities",
        "研修や学習に対する会社の支援は十分である。",
        "The company gives enough support for training and learning.",
    ),
    # --- free text ---------------------------------------------------------------------
    QuestionSpec(
        TEXT_WORKS_WELL,
        TEXT,
        None,
        "この会社で働いていて、良いと感じていることを教えてください。",
        "What works well for you at this company?",
    ),
    QuestionSpec(
        TEXT_IMPROVE,
        TEXT,
        None,
        "より働きやすい会社にするために、改善してほしいことを教えてください。",
        "What should we improve to make this a better place to work?",
    ),
    # --- onboarding --------------------------------------------------------------------
    _agree(
        "onboarding_1",
        "onboarding",
        "入社前に聞いていた仕事内容と、実際の仕事内容は一致している。",
        "My actual work matches what I was told before I joined.",
    ),
    _agree(
        "onboarding_2",
        "onboarding",
        "仕事に必要な情報やツールを、入社後すぐに利用できた。",
        "After joining, I quickly got the information and tools I needed.",
    ),
    _agree(
        "onboarding_3",
        "onboarding",
        "チームに温かく迎え入れられたと感じる。",
        "I felt welcomed by my team.",
    ),
    # --- exit --------------------------------------------------------------------------
    QuestionSpec(
        EXIT_REASON,
        SINGLE,
        "exit",
        "退職を決めた主な理由に最も近いものを1つ選んでください。",
        "Which of these is closest to your main reason for leaving?",
        (
            {
                "value": "career",
                "ja": "キャリアアップ・新しい挑戦",
                "en": "Career move or a new challenge",
            },
            {"value": "pay", "ja": "給与・待遇", "en": "Pay and benefits"},
            {"value": "relationships", "ja": "上司・職場の人間関係", "en": "Manager or colleagues"},
            {"value": "workload", "ja": "業務量・労働時間", "en": "Workload or working hours"},
            {"value": "flexibility", "ja": "働き方の柔軟性", "en": "Flexibility of working"},
            {"value": "evaluation", "ja": "評価への不満", "en": "Dissatisfaction with evaluations"},
            {
                "value": "personal",
                "ja": "家庭の事情・転居など",
                "en": "Family, relocation or other personal reasons",
            },
            {"value": "other", "ja": "その他", "en": "Other"},
        ),
    ),
    _agree(
        "exit_return",
        "exit",
        "機会があれば、またこの会社で働きたいと思う。",
        "I would consider working for this company again.",
    ),
    QuestionSpec(
        "exit_text",
        TEXT,
        "exit",
        "退職を思いとどまるきっかけになり得たことがあれば、教えてください。",
        "What, if anything, could have made you stay?",
    ),
)

_ENGAGEMENT_ITEMS = tuple(q.code for q in QUESTIONS if q.factor in ENGAGEMENT_FACTORS)
_SATISFACTION_ITEMS = tuple(q.code for q in QUESTIONS if q.factor == "satisfaction")
_DRIVER_ITEMS = tuple(q.code for q in QUESTIONS if q.factor in DRIVER_FACTORS)
_ALL_EMPLOYEE_ITEMS = (
    *_ENGAGEMENT_ITEMS,
    *_SATISFACTION_ITEMS,
    ENPS_QUESTION,
    *_DRIVER_ITEMS,
    TEXT_WORKS_WELL,
    TEXT_IMPROVE,
)

QUESTIONNAIRES: tuple[QuestionnaireSpec, ...] = (
    QuestionnaireSpec(
        ANNUAL,
        "エンゲージメントサーベイ(年次)",
        "Engagement survey (annual)",
        "エンゲージメント3因子・満足度・eNPS・8つのドライバーをすべて聞く年次サーベイです。",
        "The annual census: all engagement, satisfaction, eNPS and driver items.",
        _ALL_EMPLOYEE_ITEMS,
    ),
    QuestionnaireSpec(
        PULSE,
        "パルスサーベイ",
        "Pulse survey",
        "毎回エンゲージメントとeNPSを聞き、ドライバーは回ごとに入れ替えて短く聞きます。",
        "Asks engagement and eNPS every wave and a rotating subset of the drivers.",
        _ALL_EMPLOYEE_ITEMS,
    ),
    QuestionnaireSpec(
        ONBOARDING,
        "オンボーディングサーベイ",
        "Onboarding survey",
        "入社から30日後に、受け入れ体制と立ち上がりの状況を聞きます。",
        "Sent 30 days after joining: how the first month went.",
        (
            "onboarding_1",
            "onboarding_2",
            "onboarding_3",
            "understanding_1",
            "understanding_3",
            "belonging_3",
            "manager_support_1",
            "manager_support_2",
            ENPS_QUESTION,
            TEXT_WORKS_WELL,
            TEXT_IMPROVE,
        ),
    ),
    QuestionnaireSpec(
        EXIT,
        "退職者サーベイ",
        "Exit survey",
        "退職される方に、退職理由と改善につながる声を短く聞きます。",
        "A short survey for leavers: the reason for leaving and what we could improve.",
        (
            EXIT_REASON,
            ENPS_QUESTION,
            "fair_evaluation_1",
            "career_growth_1",
            "manager_support_1",
            "workload_1",
            "exit_return",
            "exit_text",
        ),
    ),
)

SURVEY_KIND_FOR_QUESTIONNAIRE = {
    ANNUAL: "annual",
    PULSE: "pulse",
    ONBOARDING: "onboarding",
    EXIT: "exit",
}


def install_catalog(apps: Any = None) -> dict[str, int]:
    """Create or update the built-in factors, questions and questionnaires.

    Idempotent: a second run changes nothing. Questions dropped from a built-in
    questionnaire are removed from it but never deleted (answers may refer to them).
    ``apps`` is the migration's historical registry; without it the current models are
    used. Returns how many rows of each kind were written (created or changed).
    """
    if apps is None:
        from django.apps import apps as current_apps

        apps = current_apps
    factor_model = apps.get_model("surveys", "Factor")
    question_model = apps.get_model("surveys", "Question")
    questionnaire_model = apps.get_model("surveys", "Questionnaire")
    item_model = apps.get_model("surveys", "QuestionnaireItem")
    written = {"factors": 0, "questions": 0, "questionnaires": 0, "items": 0}
    with transaction.atomic():
        factors = {}
        for order, spec in enumerate(FACTORS):
            values = {
                "kind": spec.kind,
                "name_ja": spec.name_ja,
                "name_en": spec.name_en,
                "description_ja": spec.description_ja,
                "description_en": spec.description_en,
                "sort_order": order * 10,
            }
            factors[spec.code], changed = _upsert(factor_model, spec.code, values)
            written["factors"] += changed
        questions = {}
        for order, q in enumerate(QUESTIONS):
            values = {
                "kind": q.kind,
                "factor": factors[q.factor] if q.factor else None,
                "text_ja": q.text_ja,
                "text_en": q.text_en,
                "options": [dict(option) for option in q.options],
                "is_builtin": True,
                "sort_order": order * 10,
            }
            questions[q.code], changed = _upsert(question_model, q.code, values)
            written["questions"] += changed
        for template in QUESTIONNAIRES:
            values = {
                "name_ja": template.name_ja,
                "name_en": template.name_en,
                "description_ja": template.description_ja,
                "description_en": template.description_en,
                "is_builtin": True,
            }
            questionnaire, changed = _upsert(questionnaire_model, template.code, values)
            written["questionnaires"] += changed
            written["items"] += _sync_items(item_model, questionnaire, template, questions)
    return written


def _upsert(model: Any, code: str, values: dict[str, Any]) -> tuple[Any, int]:
    obj = model.objects.filter(code=code).first()
    if obj is None:
        return model.objects.create(code=code, **values), 1
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=[model._meta.get_field(n).attname for n in changed])
    return obj, int(bool(changed))


def _sync_items(
    item_model: Any, questionnaire: Any, spec: QuestionnaireSpec, questions: dict[str, Any]
) -> int:
    wanted = {questions[code].pk: order for order, code in enumerate(spec.questions)}
    existing = {
        item.question_id: item for item in item_model.objects.filter(questionnaire=questionnaire)
    }
    written = 0
    stale = [pk for pk in existing if pk not in wanted]
    if stale:
        item_model.objects.filter(questionnaire=questionnaire, question_id__in=stale).delete()
        written += len(stale)
    for question_id, order in wanted.items():
        item = existing.get(question_id)
        if item is None:
            item_model.objects.create(
                questionnaire=questionnaire, question_id=question_id, order=order
            )
            written += 1
        elif item.order != order:
            item.order = order
            item.save(update_fields=["order"])
            written += 1
    return written
