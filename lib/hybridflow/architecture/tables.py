"""Every table of exercise 1 as a pandas DataFrame with French headers, computed from the model."""

from __future__ import annotations

import pandas as pd

from hybridflow.architecture import availability, costs
from hybridflow.architecture.model import CLOUDS, Architecture, CostOption
from hybridflow.architecture.scoring import chosen, cloud_scores, node_label, primary_cloud, weighted_score


def _flat(label: str) -> str:
    return label.replace("\n", " ")


def context_table(arch: Architecture) -> pd.DataFrame:
    """Volumes and requirements of the existing estate, each with its rationale."""
    rows = [
        {
            "Catégorie": "Volume",
            "Élément": v.label,
            "Valeur": f"{v.value:g} {v.unit}",
            "Croît (scénario ×10)": "oui" if v.grows else "non",
            "Justification": v.rationale,
        }
        for v in arch.volumes
    ]
    rows += [
        {
            "Catégorie": r.category,
            "Élément": r.label,
            "Valeur": r.target,
            "Croît (scénario ×10)": "",
            "Justification": r.rationale,
        }
        for r in arch.requirements
    ]
    volumes = costs.volume_values(arch)
    initial_tb = volumes["sqlserver_tb"] + volumes["san_tb"]
    days = costs.initial_transfer_days(initial_tb, volumes["link_gbps"])
    rows.append(
        {
            "Catégorie": "Calculé",
            "Élément": "Chargement initial par la liaison (SQL Server + SAN)",
            "Valeur": f"{days:.1f} jours",
            "Croît (scénario ×10)": "",
            "Justification": f"{initial_tb:g} To à 70 % de {volumes['link_gbps']:g} Gbit/s : d'où le Data Box.",
        }
    )
    return pd.DataFrame(rows)


def criteria_table(arch: Architecture) -> pd.DataFrame:
    """The selection criteria and their weights."""
    return pd.DataFrame([{"Critère": c.label, "Poids": c.weight, "Pourquoi": c.rationale} for c in arch.criteria])


def scoring_matrix(arch: Architecture) -> pd.DataFrame:
    """Every candidate's criterion scores, weighted score and whether it is chosen."""
    picks = {c.id for c in chosen(arch).values()}
    rows = []
    for need in arch.needs:
        for cand in arch.candidates_for(need.id):
            row: dict[str, object] = {"Besoin": need.label, "Fournisseur": cand.provider.label, "Candidat": cand.name}
            row.update({crit.label: cand.scores[crit.id] for crit in arch.criteria})
            row["Score pondéré"] = round(weighted_score(arch, cand), 2)
            row["Choisi"] = "✔" if cand.id in picks else ""
            rows.append(row)
    return pd.DataFrame(rows)


def cloud_comparison(arch: Architecture) -> pd.DataFrame:
    """Per production need, each cloud's best candidate and score; last row the mean the primary cloud is chosen on."""
    rows: list[dict[str, str]] = []
    for need in (n for n in arch.needs if n.production):
        row = {"Besoin": need.label}
        for cloud in CLOUDS:
            cands = [c for c in arch.candidates_for(need.id) if c.provider == cloud]
            best = max(cands, key=lambda c: weighted_score(arch, c), default=None)
            row[cloud.label] = f"{best.name} ({weighted_score(arch, best):.2f})" if best else "—"
        rows.append(row)
    means = cloud_scores(arch)
    primary = primary_cloud(arch)
    rows.append(
        {"Besoin": "Score moyen (fournisseur principal ✔)"}
        | {cloud.label: f"{means[cloud]:.2f}{' ✔' if cloud == primary else ''}" for cloud in CLOUDS if cloud in means}
    )
    return pd.DataFrame(rows)


def chosen_components(arch: Architecture) -> pd.DataFrame:
    """The chosen component of each need with its score and justification."""
    return pd.DataFrame(
        [
            {
                "Besoin": arch.need(need_id).label,
                "Composant choisi": c.name,
                "Fournisseur": c.provider.label,
                "Score": round(weighted_score(arch, c), 2),
                "Justification": c.note,
            }
            for need_id, c in chosen(arch).items()
        ]
    )


def compatibility_matrix(arch: Architecture) -> pd.DataFrame:
    """Each chosen component against each existing system it touches."""
    picks = chosen(arch)
    return pd.DataFrame(
        [
            {
                "Composant": picks[e.need].name,
                "Système existant": _flat(arch.system(e.system).label),
                "Protocole": e.protocol,
                "Port": e.port,
                "Authentification": e.authentication,
                "Chiffrement": e.encryption,
                "Sens": e.direction,
                "Fréquence": e.frequency,
                "Verdict": e.verdict.label,
                "Risque": e.risk,
                "Atténuation": e.mitigation,
            }
            for e in arch.compatibility
        ]
    )


def security_controls(arch: Architecture) -> pd.DataFrame:
    """The security controls and the components they apply to."""
    return pd.DataFrame(
        [
            {
                "Domaine": s.domain,
                "Mesure": s.control,
                "Mise en œuvre": s.implementation,
                "S'applique à": ", ".join(_flat(node_label(arch, n)) for n in s.applies_to),
                "Référence": s.reference,
            }
            for s in arch.security_controls
        ]
    )


def sla_table(arch: Architecture) -> pd.DataFrame:
    """Published or assumed SLA of every chosen component and existing system, with source and date."""
    rows = []
    for need_id, c in chosen(arch).items():
        if c.sla is not None:
            rows.append(
                {
                    "Élément": c.name,
                    "Rôle": arch.need(need_id).label,
                    "Disponibilité": c.sla.availability,
                    "Source": c.sla.source,
                    "Date": c.sla.as_of,
                }
            )
    for s in arch.systems:
        rows.append(
            {
                "Élément": _flat(s.label),
                "Rôle": "Existant on-premise",
                "Disponibilité": s.sla.availability,
                "Source": s.sla.source,
                "Date": s.sla.as_of,
            }
        )
    return pd.DataFrame(rows)


def critical_paths(arch: Architecture) -> pd.DataFrame:
    """Composite availability of each critical path against its target."""
    rows = []
    for p in arch.critical_paths:
        a = availability.path_availability(arch, p)
        chain = " → ".join(" ∥ ".join(_flat(node_label(arch, n)) for n in stage) for stage in p.stages)
        rows.append(
            {
                "Chemin critique": p.label,
                "Chaîne (∥ = redondant)": chain,
                "Disponibilité calculée": a,
                "Arrêt attendu (h/an)": round(availability.downtime_hours_per_year(a), 1),
                "Cible": p.target,
                "Cible atteinte": "oui" if a >= p.target else "non",
            }
        )
    return pd.DataFrame(rows)


def recovery_objectives(arch: Architecture) -> pd.DataFrame:
    """RPO and RTO of every data flow."""
    return pd.DataFrame(
        [
            {
                "Flux": f.label,
                "De": _flat(node_label(arch, f.source)),
                "Vers": _flat(node_label(arch, f.target)),
                "Type": f.kind.label,
                "RPO (min)": f.rpo_minutes,
                "RTO (min)": f.rto_minutes,
                "Comment": f.recovery_note,
            }
            for f in arch.flows
            if f.kind.carries_data
        ]
    )


def unit_prices(arch: Architecture) -> pd.DataFrame:
    """Every unit price with its source and date."""
    return pd.DataFrame(
        [
            {"Prix": p.label, "Montant": p.amount, "Unité": p.unit, "Source": p.source, "Date": p.as_of}
            for p in arch.prices
        ]
    )


def cost_lines(arch: Architecture) -> pd.DataFrame:
    """Each cost line's quantity and amount today and at ×10 volume."""
    today = costs.evaluate(arch, 1.0)
    grown = costs.evaluate(arch, costs.GROWTH_FACTOR)
    rows = []
    for now, later in zip(today, grown, strict=True):
        price = arch.price(now.line.price)
        rows.append(
            {
                "Option": now.line.option.label,
                "Poste": now.line.label,
                "Prix unitaire": price.amount,
                "Unité": price.unit,
                "Quantité": round(now.quantity, 2),
                "Montant": round(now.amount, 2),
                f"Quantité ×{costs.GROWTH_FACTOR:g}": round(later.quantity, 2),
                f"Montant ×{costs.GROWTH_FACTOR:g}": round(later.amount, 2),
                "Périodicité": "ponctuel" if now.line.one_time else "mensuel",
            }
        )
    return pd.DataFrame(rows)


def cost_summary(arch: Architecture) -> pd.DataFrame:
    """Monthly, yearly and 3-year cost of each option, today and at ×10 volume (in €)."""
    rows = []
    for growth, scenario in ((1.0, "Volume actuel"), (costs.GROWTH_FACTOR, f"Volume ×{costs.GROWTH_FACTOR:g}")):
        for option in CostOption:
            t = costs.totals(arch, option, growth)
            rows.append(
                {
                    "Scénario": scenario,
                    "Option": option.label,
                    "Mensuel (€)": round(t.monthly),
                    "Ponctuel (€)": round(t.one_time),
                    "Année 1 (€)": round(t.yearly),
                    "3 ans (€)": round(t.three_years),
                }
            )
    return pd.DataFrame(rows)


def assumptions(arch: Architecture) -> pd.DataFrame:
    """The cost and availability assumptions, numbered."""
    return pd.DataFrame({"Hypothèse": list(arch.assumptions)}, index=range(1, len(arch.assumptions) + 1))


TABLES = {
    "contexte": context_table,
    "criteres": criteria_table,
    "matrice_scores": scoring_matrix,
    "comparaison_clouds": cloud_comparison,
    "composants_choisis": chosen_components,
    "compatibilite": compatibility_matrix,
    "securite": security_controls,
    "sla": sla_table,
    "chemins_critiques": critical_paths,
    "rpo_rto": recovery_objectives,
    "prix_unitaires": unit_prices,
    "couts_detail": cost_lines,
    "couts_synthese": cost_summary,
    "hypotheses": assumptions,
}
